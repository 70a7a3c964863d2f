package io.backbeat.client.internal;

import io.backbeat.api.ClusterId;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.nats.NatsConnectionSettings;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * {@link BeatTransport} over a jnats connection: one passed in, one made at once, or one made in the
 * background by a daemon thread that retries until a server answers. Until the connection exists,
 * the beat subscription is remembered (made as soon as it is connected), timeline requests fail at
 * once and status claims are dropped.
 */
public final class NatsTransport implements BeatTransport {
    private static final Logger LOG = LoggerFactory.getLogger(NatsTransport.class);

    private final boolean owned;
    private final Object lock = new Object();
    private final CompletableFuture<Connection> connected = new CompletableFuture<>();
    private volatile Connection connection; // null while connecting in the background
    private volatile SignatureCheck signatures;
    private volatile boolean closed;
    // guarded by lock
    private Thread connector;
    private Dispatcher dispatcher;
    private String beatCluster;
    private Consumer<byte[]> beatSink;

    private NatsTransport(Connection connection, boolean owned) {
        this.owned = owned;
        if (connection != null) {
            this.connection = connection;
            connected.complete(connection);
        }
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

    /**
     * Connects as {@code settings} say, on the caller's thread, reconnecting forever once connected;
     * closed by {@link #close()}.
     *
     * @throws IOException when no server answers (each is tried once) or the TLS settings are unusable
     */
    public static NatsTransport connect(NatsConnectionSettings settings) throws IOException {
        Options options = settings.toOptions(new QuietErrorListener());
        try {
            return new NatsTransport(Nats.connect(options), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS", e);
        }
    }

    /**
     * Returns at once and connects on a daemon thread named {@code threadName}: every server once,
     * then again after the settings' reconnect wait, until one answers or {@link #close()} is called;
     * reconnecting forever once connected. Closed by {@link #close()}.
     *
     * @throws IOException when the TLS settings are unusable (nothing is retried then)
     */
    public static NatsTransport connectInBackground(NatsConnectionSettings settings, String threadName)
            throws IOException {
        Options options = settings.toOptions(new QuietErrorListener());
        NatsTransport t = new NatsTransport(null, true);
        Thread thread = new Thread(() -> t.connectLoop(options, settings), threadName);
        thread.setDaemon(true);
        synchronized (t.lock) {
            t.connector = thread;
        }
        thread.start();
        return t;
    }

    private void connectLoop(Options options, NatsConnectionSettings settings) {
        long waitMillis = Math.max(1, options.getReconnectWait().toMillis());
        int failures = 0;
        while (!closed) {
            try {
                adopt(Nats.connect(options));
                return;
            } catch (IOException e) {
                failures++;
                if (failures == 1) {
                    LOG.warn("NATS not reachable at {} ({}); retrying every {} ms in the background",
                            settings.servers(), e.getMessage(), waitMillis);
                } else {
                    LOG.debug("NATS still not reachable (attempt {}): {}", failures, e.getMessage());
                }
            } catch (InterruptedException e) {
                return; // closed
            } catch (RuntimeException e) {
                failures++;
                LOG.warn("NATS connection attempt failed (retrying): {}", e.toString());
            }
            try {
                Thread.sleep(waitMillis);
            } catch (InterruptedException e) {
                return; // closed
            }
        }
    }

    /** The connection is up: make the remembered subscription, then tell whoever waits for it. */
    private void adopt(Connection c) throws InterruptedException {
        synchronized (lock) {
            if (closed) {
                c.close(); // close() came first: nothing may outlive it
                return;
            }
            connection = c;
            if (beatSink != null) {
                subscribeNow(c);
            }
        }
        LOG.info("connected to NATS at {}", c.getConnectedUrl());
        connected.complete(c);
    }

    /**
     * Completes with the connection once it exists: at once for a connection passed in or made on the
     * caller's thread; exceptionally when the transport is closed before it connected.
     */
    public CompletionStage<Connection> connection() {
        return connected.minimalCompletionStage();
    }

    @Override
    public void subscribeBeats(String clusterId, Consumer<byte[]> sink) {
        synchronized (lock) {
            if (beatSink != null) {
                throw new IllegalStateException("beats are already subscribed");
            }
            beatCluster = clusterId;
            beatSink = sink;
            Connection c = connection;
            if (c != null) {
                subscribeNow(c);
            }
        }
    }

    /** Holds the lock. */
    private void subscribeNow(Connection c) {
        Consumer<byte[]> sink = beatSink;
        Dispatcher d = c.createDispatcher(msg -> {
            SignatureCheck check = signatures;
            if (check == null || check.verify(msg)) {
                sink.accept(msg.getData());
            }
        });
        d.subscribe(ClusterId.beatSubject(beatCluster));
        dispatcher = d;
    }

    @Override
    public CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout) {
        Connection c = connection;
        if (c == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to NATS yet"));
        }
        return c.requestWithTimeout(ClusterId.timelineSubject(clusterId), new byte[0], timeout)
                .thenApply(m -> {
                    SignatureCheck check = signatures;
                    if (check != null && !check.verify(m)) {
                        throw new IllegalStateException("timeline reply without a valid signature dropped");
                    }
                    return m.getData();
                });
    }

    @Override
    public void publishStatus(String clusterId, byte[] claim) {
        Connection c = connection;
        if (c != null) { // best effort: a claim made before the first connection is dropped
            c.publish(ClusterId.statusSubject(clusterId), claim);
        }
    }

    @Override
    public boolean isConnected() {
        Connection c = connection;
        return c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    /** Stops connecting (waiting up to 2 s for that thread to end), then closes what was opened. */
    @Override
    public void close() {
        Thread t;
        Connection c;
        Dispatcher d;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            t = connector;
            c = connection;
            d = dispatcher;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected.completeExceptionally(new IllegalStateException("closed before NATS was reached"));
        if (c == null) {
            return;
        }
        if (d != null) {
            try {
                c.closeDispatcher(d);
            } catch (RuntimeException ignored) {
                // connection already closed
            }
        }
        if (owned) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Logs connection trouble at debug: the client reports degradation itself. */
    static final class QuietErrorListener implements io.nats.client.ErrorListener {
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
