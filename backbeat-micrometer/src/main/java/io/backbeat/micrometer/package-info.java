/**
 * Every Micrometer binder of BACKBEAT's client side, in one module so the client, the work tools
 * and the rhythm tools need no Micrometer: {@link io.backbeat.micrometer.BeatClientMetrics} (a
 * {@link io.backbeat.client.BeatClient}), {@link io.backbeat.micrometer.BoundedWorkQueueMetrics},
 * {@link io.backbeat.micrometer.AdaptiveBatcherMetrics},
 * {@link io.backbeat.micrometer.PipelinedProcessorMetrics} and
 * {@link io.backbeat.micrometer.TempoAlertMetrics}.
 */
package io.backbeat.micrometer;
