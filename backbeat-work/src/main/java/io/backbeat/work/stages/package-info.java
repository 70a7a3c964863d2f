/**
 * A staged pipeline ({@link io.backbeat.work.stages.PipelinedProcessor}): stages with their own
 * worker threads joined by bounded {@link io.backbeat.work.BoundedWorkQueue}s, per-stage statistics
 * ({@link io.backbeat.work.stages.StageStats}) and a USE snapshot
 * ({@link io.backbeat.work.stages.PipelineSnapshot}) that names the likeliest bottleneck.
 */
package io.backbeat.work.stages;
