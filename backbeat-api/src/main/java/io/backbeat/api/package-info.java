/**
 * The BACKBEAT wire contract as pure Java values: {@link io.backbeat.api.BeatFrame},
 * {@link io.backbeat.api.TimelineDescriptor}, {@link io.backbeat.api.StatusClaim}, the beat grid
 * ({@link io.backbeat.api.Timeline}), window ids ({@link io.backbeat.api.WindowId}) and tempo rules
 * ({@link io.backbeat.api.TempoPolicy}).
 *
 * <p>Nothing in this package performs I/O, starts a thread or reads a clock on its own: every
 * instant is passed in as nanoseconds since the Unix epoch, so the same code runs in the pulse,
 * in every client and in tests with a virtual clock.
 */
package io.backbeat.api;
