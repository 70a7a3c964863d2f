/**
 * Extension point of the client: the transport to the pulse ({@link io.backbeat.client.spi.BeatTransport}).
 * Implemented by the SDK itself (NATS) and by {@code backbeat-testkit-client} (in memory). The clocks
 * are {@link io.backbeat.api.BeatClock}, in {@code backbeat-api}.
 */
package io.backbeat.client.spi;
