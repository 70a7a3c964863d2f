/**
 * Work tools for phase callbacks: doing the right amount of work before a deadline.
 *
 * <ul>
 *   <li>{@link io.backbeat.work.BoundedWorkQueue}: a bounded, thread-safe queue with an explicit
 *       {@link io.backbeat.work.OverflowPolicy}; every offer returns an
 *       {@link io.backbeat.work.OfferResult}, counters add up
 *       ({@link io.backbeat.work.QueueStats}); Micrometer binding in
 *       {@code backbeat-micrometer}.</li>
 *   <li>{@link io.backbeat.work.AdaptiveBatcher}: learns the per-item cost
 *       ({@link io.backbeat.work.CostEstimator}) and fills a share of the phase before a
 *       {@code System.nanoTime} deadline, always probing so that a stale estimate recovers; composes
 *       {@link io.backbeat.work.ProgressiveBackoff},
 *       {@link io.backbeat.work.GracefulDegradation} and
 *       {@link io.backbeat.work.WorkPrioritizer}.</li>
 *   <li>{@link io.backbeat.work.stages.PipelinedProcessor}: stages with their own worker threads
 *       joined by bounded queues, for tempos where a beat's work cannot fit in one phase, with
 *       per-stage utilization and saturation that name the bottleneck.</li>
 * </ul>
 *
 * <p>Nothing here depends on NATS, Micrometer or the beat client (the module needs only the JDK and
 * SLF4J): the tools take plain values (a deadline in
 * {@code System.nanoTime} terms, a phase name, a beat index), and every timing decision reads an
 * injectable nano clock, so the maths can be tested on virtual time.
 */
package io.backbeat.work;
