package io.backbeat.pulse;

import io.backbeat.consensus.Consensus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps a node that must not lead out of elections: while {@code problem} names a reason (its clock
 * is off the cluster's) the node withdraws its candidacy through {@link Consensus#standForElection},
 * so it is not elected at all, rather than winning a term and handing it over; it stands again once
 * the reason has been gone for {@link #STAND_AGAIN_AFTER_NANOS}. Checked every {@link #CHECK_MS} ms
 * on a daemon thread {@code backbeat-candidacy-<node>}; the decisions are in {@link #tick}, which
 * tests drive on their own clock. A backend that cannot withdraw is asked once; its node relies on
 * the hand-over after it wins ({@link TakeOver}).
 *
 * <p>One exception keeps the beat alive: when the beat has been silent for {@link #STAND_IN_SILENCE_NANOS}
 * beyond a phase and a peer that answers has a log behind this node's, a withdrawn node stands anyway
 * until a frame comes. Raft lets only a member whose log is at least as recent as a majority's win;
 * with the leader gone and this node holding the newest entry, the remaining member cannot be elected
 * without it (a chaos run saw 9 s without a leader until the killed one came back; with the leader
 * gone for good the cluster would never elect again). Elected, it publishes nothing (its clock is
 * off) and hands the term over at once, bringing the other member's log up to date on the way. When
 * the live peers' logs are as recent as this node's they can elect one of themselves, and it stays out.
 */
final class Candidacy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class); // with the node's other lines
    static final long CHECK_MS = 100;
    /** How long the reason must have been gone before the node stands again (a verdict can flicker). */
    static final long STAND_AGAIN_AFTER_NANOS = 2_000_000_000L;
    /** Between failed attempts to withdraw or stand. */
    static final long RETRY_NANOS = 1_000_000_000L;
    /** Silence of the beat, beyond one phase, after which a withdrawn node stands to end it. */
    static final long STAND_IN_SILENCE_NANOS = 1_000_000_000L;

    private final String nodeId;
    private final Consensus consensus;
    private final Supplier<String> problem;
    private final Consumer<String> events;
    private final java.util.function.LongUnaryOperator silence;
    private final Supplier<String> needed;
    private volatile boolean standing = true;
    private boolean standingInSilence;
    private volatile boolean supported = true;
    private boolean clear;
    private long clearSince;
    private boolean backingOff;
    private long nextTryNanos;
    private Thread thread;
    private volatile boolean closed;

    /**
     * @param silence at a {@code System.nanoTime} instant, how long the beat has been silent beyond one
     *                phase (no frame from any leader), negative while it is not or before any frame
     * @param needed  why the others may need this node's log to elect anyone (a live peer whose log is
     *                behind this node's), or {@code null}: a withdrawn node stands in a silent beat only then
     */
    Candidacy(String nodeId, Consensus consensus, Supplier<String> problem, Consumer<String> events,
              java.util.function.LongUnaryOperator silence, Supplier<String> needed) {
        this.nodeId = nodeId;
        this.silence = silence;
        this.needed = needed;
        this.consensus = consensus;
        this.problem = problem;
        this.events = events;
    }

    /** Starts the checks (after the consensus node has started). */
    void start() {
        thread = new Thread(this::run, "backbeat-candidacy-" + nodeId);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed && supported) {
            try {
                tick(System.nanoTime());
                Thread.sleep(CHECK_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("{}: candidacy check failed: {}", nodeId, e.toString());
            }
        }
    }

    /** Whether this node stands for election now (true at start, and on backends that cannot withdraw). */
    boolean standing() {
        return standing;
    }

    /** One check at {@code nowNanos}: withdraws, or stands again, when it is time. */
    void tick(long nowNanos) {
        if (!supported || closed) {
            return;
        }
        String why = problem.get();
        if (why != null) {
            clear = false;
            long silent = silence.applyAsLong(nowNanos);
            String need = silent >= STAND_IN_SILENCE_NANOS ? needed.get() : null;
            if (need != null) {
                if (!standing && mayTry(nowNanos)) {
                    change(true, nowNanos, String.format(java.util.Locale.ROOT, "stands for election although it "
                            + "must not lead (%s): the beat has been silent %.0f ms beyond a phase and the others need "
                            + "this node's log to elect anyone (%s); a term it wins is handed over without a frame",
                            why, silent / 1e6, need));
                    standingInSilence = standing;
                }
                return;
            }
            if (standingInSilence && silent >= STAND_IN_SILENCE_NANOS) {
                return; // standing until the beat is back, though the peer caught up (it is being elected)
            }
            if (standing && mayTry(nowNanos)) {
                change(false, nowNanos, standingInSilence ? "withdraws from elections again (the beat is back): " + why
                        : "withdraws from elections: " + why);
                if (!standing) {
                    standingInSilence = false;
                }
            }
            return;
        }
        standingInSilence = false;
        if (standing) {
            return;
        }
        if (!clear) {
            clear = true;
            clearSince = nowNanos;
        }
        if (nowNanos - clearSince >= STAND_AGAIN_AFTER_NANOS && mayTry(nowNanos)) {
            change(true, nowNanos, String.format(java.util.Locale.ROOT,
                    "stands for election again: no reason to keep out for %.1f s", STAND_AGAIN_AFTER_NANOS / 1e9));
        }
    }

    private boolean mayTry(long nowNanos) {
        return !backingOff || nowNanos - nextTryNanos >= 0;
    }

    private void change(boolean stand, long nowNanos, String event) {
        try {
            if (!consensus.standForElection(stand)) {
                supported = false;
                LOG.info("{}: the consensus backend cannot withdraw a member from elections; a node that must not "
                        + "lead hands over a term it wins", nodeId);
                return;
            }
            standing = stand;
            backingOff = false;
            events.accept(event);
        } catch (RuntimeException e) {
            backingOff = true;
            nextTryNanos = nowNanos + RETRY_NANOS;
            LOG.warn("{}: could not {}: {}", nodeId, stand ? "stand for election" : "withdraw from elections",
                    e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
