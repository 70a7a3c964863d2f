package io.backbeat.client.internal;

import io.backbeat.api.ClusterId;
import io.backbeat.client.spi.BeatTransport;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.backbeat.nats.NatsConnectionSettings;
import io.nats.client.Options;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** {@link BeatTransport} over a jnats connection. */
public final class NatsTransport implements BeatTransport {
    private final Connection connection;
    private final boolean owned;
    private volatile Dispatcher dispatcher;
    private volatile SignatureCheck signatures;

    private NatsTransport(Connection connection, boolean owned) {
        this.connection = connection;
        this.owned = owned;
    }

    /**
     * From now on beat frames and timeline replies must carry a valid signature by one of the keys in
     * {@code check}; others are dropped (frames, counted) or fail (replies).
     */
    public NatsTransport verifying(SignatureCheck check) {
        this.signatures = check;
        return this;
    }

    @Override
    public long signatureRejects() {
        SignatureCheck c = signatures;
        return c == null ? 0 : c.rejected();
    }

    /** Wraps a connection the caller owns (not closed by {@link #close()}). */
    public static NatsTransport using(Connection connection) {
        return new NatsTransport(connection, false);
    }

    /** Connects as {@code settings} say, reconnecting forever; closed by {@link #close()}. */
    public static NatsTransport connect(NatsConnectionSettings settings) throws IOException {
        Options options = settings.toOptions(new QuietErrorListener());
        try {
            return new NatsTransport(Nats.connect(options), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS", e);
        }
    }

    @Override
    public void subscribeBeats(String clusterId, Consumer<byte[]> sink) {
        Dispatcher d = connection.createDispatcher(msg -> {
            SignatureCheck c = signatures;
            if (c == null || c.verify(msg)) {
                sink.accept(msg.getData());
            }
        });
        d.subscribe(ClusterId.beatSubject(clusterId));
        dispatcher = d;
    }

    @Override
    public CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout) {
        return connection.requestWithTimeout(ClusterId.timelineSubject(clusterId), new byte[0], timeout)
                .thenApply(m -> {
                    SignatureCheck c = signatures;
                    if (c != null && !c.verify(m)) {
                        throw new IllegalStateException("timeline reply without a valid signature dropped");
                    }
                    return m.getData();
                });
    }

    @Override
    public void publishStatus(String clusterId, byte[] claim) {
        connection.publish(ClusterId.statusSubject(clusterId), claim);
    }

    @Override
    public boolean isConnected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    @Override
    public void close() {
        Dispatcher d = dispatcher;
        if (d != null) {
            try {
                connection.closeDispatcher(d);
            } catch (RuntimeException ignored) {
                // connection already closed
            }
        }
        if (owned) {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Logs connection trouble at debug: the client reports degradation itself. */
    static final class QuietErrorListener implements io.nats.client.ErrorListener {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NatsTransport.class);

        @Override
        public void errorOccurred(Connection conn, String error) {
            LOG.debug("NATS error: {}", error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.debug("NATS exception: {}", exp.toString());
        }
    }
}
