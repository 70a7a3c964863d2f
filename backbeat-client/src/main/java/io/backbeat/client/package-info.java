/**
 * The BACKBEAT client SDK: follow the cluster beat from a service.
 *
 * <p>A listener in 15 lines (compiled and run by {@code ReadmeListenerTest} in backbeat-testkit-client):
 * <pre>{@code
 * try (BeatClient client = BeatClient.builder("chorus-aus-01")
 *         .natsServers("nats://127.0.0.1:4222").build()) {
 *     client.addListener(new BeatListener() {
 *         @Override
 *         public void onExecute(BeatContext ctx) {
 *             ctx.deadline().runWithin(() -> index(ctx.beatIndex())); // cancelled if it overruns the phase
 *             ctx.report(ClaimState.COMPLETED, null);                  // StatusClaim on backbeat.{cluster}.status
 *         }
 *
 *         @Override
 *         public void onDegraded(String reason) {
 *             log.warn("pulse silent, keeping the beat locally: {}", reason);
 *         }
 *     });
 * }
 * }</pre>
 *
 * <p>The types:
 * <ul>
 *   <li>{@link io.backbeat.client.BeatClient} (built by its {@code Builder}): connection, frame
 *       validation, local grid, listener dispatch. {@code AutoCloseable}; a NATS
 *       {@code Connection} passed in is not closed by it.</li>
 *   <li>{@link io.backbeat.client.BeatListener}: callbacks with empty defaults;
 *       {@link io.backbeat.client.BeatContext}: one (beat, phase) delivery;
 *       {@link io.backbeat.client.BeatDeadline}: the end of the phase on the monotonic clock.</li>
 *   <li>{@link io.backbeat.client.BusyPolicy} and {@link io.backbeat.client.DispatchMode}: the two
 *       explicit choices about dispatch; {@link io.backbeat.client.DropReason} and
 *       {@link io.backbeat.client.ClientStats}: what was dropped and why.</li>
 * </ul>
 *
 * <p>Guarantees: callbacks never run on the NATS dispatcher thread; one listener's callbacks run
 * one at a time, in grid order, each (beat, phase) at most once and never backwards, through
 * duplicate frames, degradation, reconciliation and leader failover; a slow or throwing listener
 * never delays another (exceptions are counted and logged, the thread survives).
 *
 * <p>Metrics: {@code io.backbeat.micrometer.BeatClientMetrics} in {@code backbeat-micrometer}.
 */
package io.backbeat.client;
