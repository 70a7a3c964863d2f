/**
 * Work tools for phase callbacks: doing the right amount of work before a deadline.
 *
 * <ul>
 *   <li>{@link io.backbeat.client.work.BoundedWorkQueue}: a bounded, thread-safe queue with an explicit
 *       {@link io.backbeat.client.work.OverflowPolicy}; every offer returns an
 *       {@link io.backbeat.client.work.OfferResult}, counters add up
 *       ({@link io.backbeat.client.work.QueueStats}), Micrometer binding in
 *       {@link io.backbeat.client.work.BoundedWorkQueueMetrics}.</li>
 *   <li>{@link io.backbeat.client.work.AdaptiveBatcher}: learns the per-item cost
 *       ({@link io.backbeat.client.work.CostEstimator}) and sizes batches to a share of the time left
 *       before a {@code System.nanoTime} deadline; composes
 *       {@link io.backbeat.client.work.ProgressiveBackoff},
 *       {@link io.backbeat.client.work.GracefulDegradation} and
 *       {@link io.backbeat.client.work.WorkPrioritizer}.</li>
 *   <li>{@link io.backbeat.client.work.PipelinedProcessor}: one worker thread per phase joined by bounded
 *       queues, for tempos where a beat's work cannot fit in one phase.</li>
 * </ul>
 *
 * <p>Nothing here depends on NATS or on the beat client: the tools take plain values (a deadline in
 * {@code System.nanoTime} terms, a phase name, a beat index), and every timing decision reads an
 * injectable nano clock, so the maths can be tested on virtual time.
 */
package io.backbeat.client.work;
