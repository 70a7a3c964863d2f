/**
 * Extension points of the client: the transport to the pulse and the clocks. Implemented by the
 * SDK itself (NATS, system clocks) and by {@code backbeat-testkit} (in-memory, virtual time).
 */
package io.backbeat.client.spi;
