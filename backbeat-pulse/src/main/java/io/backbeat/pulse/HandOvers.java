package io.backbeat.pulse;

import io.backbeat.consensus.Consensus;
import io.nats.client.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The remedies of a leader that cannot do its job, each on its own daemon thread and at most once
 * per {@link #COOLDOWN_NANOS} (a hand-over: once per term in that time): moving leadership to another
 * member, and resetting a NATS connection whose frames vanish.
 */
final class HandOvers {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class); // its log lines, as before
    /** At most one hand-over attempt (and one NATS reset) per this interval. */
    static final long COOLDOWN_NANOS = 3_000_000_000L;

    private final String nodeId;
    private final Consensus consensus;
    private final Connection nats;
    private final BooleanSupplier closed;
    private final java.util.function.Supplier<java.util.Set<String>> avoid;
    private final AtomicBoolean handingOver = new AtomicBoolean();
    private volatile long lastHandOverNanos;
    private volatile long lastHandOverTerm = -1;
    private volatile long lastNatsDropNanos;
    private final FrameConnection frameConnection;

    /**
     * {@code avoid}: the members a hand-over tries last (peers whose clocks are off); {@code frameConnection}:
     * reset together with the main connection when frames vanish.
     */
    HandOvers(String nodeId, Consensus consensus, Connection nats, FrameConnection frameConnection,
              BooleanSupplier closed, java.util.function.Supplier<java.util.Set<String>> avoid) {
        this.nodeId = nodeId;
        this.frameConnection = frameConnection;
        this.avoid = avoid;
        this.consensus = consensus;
        this.nats = nats;
        this.closed = closed;
        this.lastHandOverNanos = System.nanoTime() - COOLDOWN_NANOS;
        this.lastNatsDropNanos = lastHandOverNanos;
    }

    /**
     * Asks consensus to move leadership to another member, on a daemon thread (a hand-over blocks for
     * up to ~1.5 s), at most once per {@link #COOLDOWN_NANOS}.
     */
    void request(String why) {
        long term = consensus.leadership().term();
        // the cooldown holds within a term: a node that wins again (a skewed clock elected after a kill)
        // hands that new term over at once rather than leading it silently for up to 3 s
        if (closed.getAsBoolean() || (term == lastHandOverTerm && System.nanoTime() - lastHandOverNanos < COOLDOWN_NANOS)
                || !handingOver.compareAndSet(false, true)) {
            return;
        }
        lastHandOverNanos = System.nanoTime();
        lastHandOverTerm = term;
        LOG.warn("{} hands leadership over: {}", nodeId, why);
        Thread t = new Thread(() -> {
            try {
                consensus.yieldLeadership(avoid.get());
            } catch (RuntimeException e) {
                LOG.warn("hand-over failed: {}", e.toString());
            } finally {
                lastHandOverNanos = System.nanoTime();
                handingOver.set(false);
            }
        }, "backbeat-handover-" + nodeId);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Closes the NATS sockets (the frame connection's and jnats') with a reset (no linger: the kernel
     * discards what it has not sent, so a frame held there is never delivered late when the path
     * heals) and lets both reconnect; at most once per {@link #COOLDOWN_NANOS}.
     */
    void dropNatsConnection(String why) {
        long now = System.nanoTime();
        if (closed.getAsBoolean() || now - lastNatsDropNanos < COOLDOWN_NANOS) {
            return;
        }
        lastNatsDropNanos = now;
        LOG.warn("{} drops its NATS connection: {}", nodeId, why);
        frameConnection.reset(why); // on this thread: a reset does not block
        Thread t = new Thread(() -> {
            try {
                nats.forceReconnect(io.nats.client.ForceReconnectOptions.FORCE_CLOSE_INSTANCE);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.warn("forced NATS reconnect failed: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "backbeat-nats-reset-" + nodeId);
        t.setDaemon(true);
        t.start();
    }
}
