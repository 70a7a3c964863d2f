package io.backbeat.client;

import io.backbeat.client.internal.LaneExecutor;
import io.backbeat.client.internal.NatsTransport;
import io.backbeat.client.internal.SignatureCheck;
import io.backbeat.client.membership.NatsMembership;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.nats.NatsConnectionSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one {@link BeatClient} opens and closes: its transport (a NATS connection made now or in the
 * background, or one passed in), the pools it owns (listener lanes, deadline work) and the
 * memberships on its connection.
 */
final class ClientResources {
    final BeatTransport transport;
    final Executor callbacks;
    final Executor deadlineWork;
    private final LaneExecutor ownedCallbacks;
    private final ExecutorService ownedDeadlineWork;
    private final List<NatsMembership> memberships = new CopyOnWriteArrayList<>();

    ClientResources(BeatClient.Builder b, String agentId, int clientNo) {
        this.ownedCallbacks = b.callbackExecutor == null
                ? new LaneExecutor("backbeat-listener-" + clientNo + "-", b.maxListenerThreads) : null;
        this.callbacks = b.callbackExecutor != null ? b.callbackExecutor : ownedCallbacks;
        try {
            this.transport = openTransport(b, agentId, clientNo);
        } catch (IOException e) {
            if (ownedCallbacks != null) {
                ownedCallbacks.close();
            }
            throw new UncheckedIOException("cannot connect to NATS at " + String.join(",", b.nats.servers()) + ": "
                    + e.getMessage(), e);
        }
        this.ownedDeadlineWork = b.deadlineExecutor == null ? deadlineWorkers(clientNo) : null;
        this.deadlineWork = b.deadlineExecutor != null ? b.deadlineExecutor : ownedDeadlineWork;
    }

    private static BeatTransport openTransport(BeatClient.Builder b, String agentId, int clientNo) throws IOException {
        if (b.transport != null && !b.verifyKeys.isEmpty()) {
            throw new IllegalArgumentException("verifySignatures works with the built-in NATS transport only");
        }
        NatsConnectionSettings nats = b.nats.connectionName() != null ? b.nats
                : b.nats.withConnectionName("backbeat-client-" + agentId);
        BeatTransport t = b.transport != null ? b.transport
                : b.connection != null ? NatsTransport.using(b.connection)
                : b.failFastConnect ? NatsTransport.connect(nats)
                : NatsTransport.connectInBackground(nats, "backbeat-connect-" + clientNo);
        if (!b.verifyKeys.isEmpty()) {
            ((NatsTransport) t).verifying(new SignatureCheck(b.verifyKeys));
        }
        return t;
    }

    /** The pool {@link BeatDeadline#runWithin(java.util.concurrent.Callable)} uses by default: daemon threads, made on demand. */
    private static ExecutorService deadlineWorkers(int clientNo) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "backbeat-deadline-" + clientNo + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code r} once the NATS connection exists (at once when it does); false for another transport. */
    boolean whenConnected(Runnable r) {
        if (transport instanceof NatsTransport nt) {
            nt.connection().thenRun(r);
            return true;
        }
        return false;
    }

    /** A membership on the client's connection, closed by {@link #close()}; see {@link BeatClient#membership}. */
    NatsMembership membership(ClientState state, String group, String memberId, Duration heartbeat,
                              Duration expiry) {
        if (!(transport instanceof NatsTransport nt)) {
            throw new IllegalStateException("membership needs the client's NATS connection, not a custom transport");
        }
        if (state.closed) {
            throw new IllegalStateException("the client is closed");
        }
        NatsMembership m = new NatsMembership(nt.connection(), state.clusterId, group, memberId, heartbeat, expiry);
        memberships.add(m);
        if (state.closed) { // closed meanwhile: close() may have missed it
            m.close();
        }
        return m;
    }

    /** Memberships first (their leave goes out), then the transport, then the pools this client owns. */
    void close() {
        memberships.forEach(NatsMembership::close);
        transport.close();
        if (ownedCallbacks != null) {
            ownedCallbacks.close();
        }
        if (ownedDeadlineWork != null) {
            ownedDeadlineWork.shutdown(); // work already running ends by its deadline
        }
    }
}
