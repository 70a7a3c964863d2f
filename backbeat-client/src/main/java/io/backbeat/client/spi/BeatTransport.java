package io.backbeat.client.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * How a {@link io.backbeat.client.BeatClient} reaches the pulse. The default is NATS; the test kit
 * supplies an in-memory one. Implementations are thread-safe.
 */
public interface BeatTransport extends AutoCloseable {

    /**
     * Delivers every payload published on {@code backbeat.{cluster}.beat} to {@code sink}, on a
     * transport thread. The sink is cheap and never throws.
     */
    void subscribeBeats(String clusterId, Consumer<byte[]> sink);

    /** Asks any pulse node for the current TimelineDescriptor (JSON) on {@code backbeat.{cluster}.timeline}. */
    CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout);

    /** Publishes a StatusClaim (JSON) on {@code backbeat.{cluster}.status}; best effort. */
    void publishStatus(String clusterId, byte[] claim);

    /** {@code true} while the transport believes it is connected. */
    boolean isConnected();

    /** Releases what the transport opened (a connection passed in by the user stays open). */
    @Override
    void close();

    /** Beat messages this transport refused for a missing or bad signature (0 when it does not verify). */
    default long signatureRejects() {
        return 0;
    }
}
