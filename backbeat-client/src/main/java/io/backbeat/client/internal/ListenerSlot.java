package io.backbeat.client.internal;

import io.backbeat.api.BeatClock;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.BusyPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One listener's serial lane: callbacks run one at a time on the shared executor, in the order
 * they were offered; a phase offered while the lane is busy follows the {@link BusyPolicy}.
 * Notices (tempo, leader, degraded, recovered) are never dropped.
 */
public final class ListenerSlot {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerSlot.class);

    private final BeatListener listener;
    private final Executor executor;
    private final BusyPolicy policy;
    private final LongAdder errors;
    private final LongAdder skipped;
    private final PhaseTimings timings;
    private final io.backbeat.client.MissedPhasePolicy missedPolicy;
    private final ArrayDeque<Consumer<BeatListener>> notices = new ArrayDeque<>();
    private final ArrayDeque<BeatContext> latePhases = new ArrayDeque<>();
    private BeatContext pendingPhase;
    private boolean running;
    private volatile boolean removed;
    private long lastBeat = Long.MIN_VALUE;
    private int lastPhase = -1;

    public ListenerSlot(BeatListener listener, Executor executor, BusyPolicy policy, LongAdder errors,
                        LongAdder skipped, PhaseTimings timings) {
        this.timings = timings;
        this.listener = listener;
        this.executor = executor;
        this.policy = policy;
        this.errors = errors;
        this.skipped = skipped;
        io.backbeat.client.MissedPhasePolicy p;
        try {
            p = listener.missedPhasePolicy();
        } catch (RuntimeException e) {
            p = null;
        }
        this.missedPolicy = p != null ? p : io.backbeat.client.MissedPhasePolicy.DELIVER_LATE;
    }

    /** What this lane's listener wants for missed phases. */
    public io.backbeat.client.MissedPhasePolicy missedPolicy() {
        return missedPolicy;
    }

    /**
     * Offers phases that were missed, to run (in order, marked late) before anything offered later;
     * they are not subject to the busy policy: the listener asked for them. Never blocks.
     */
    public void offerLate(java.util.List<BeatContext> late) {
        if (late.isEmpty()) {
            return;
        }
        synchronized (this) {
            if (removed) {
                return;
            }
            latePhases.addAll(late);
            if (running) {
                return;
            }
            running = true;
        }
        executor.execute(this::drain);
    }

    /** Stops further callbacks (one already running finishes). */
    public void remove() {
        removed = true;
    }

    /** Offers a phase; never blocks. */
    public void offerPhase(BeatContext ctx) {
        synchronized (this) {
            if (removed) {
                return;
            }
            if (running) {
                if (policy == BusyPolicy.QUEUE_ONE) {
                    if (pendingPhase != null) {
                        skipped.increment();
                    }
                    pendingPhase = ctx;
                } else {
                    skipped.increment();
                }
                return;
            }
            pendingPhase = ctx;
            running = true;
        }
        executor.execute(this::drain);
    }

    /** Offers a notice; never blocks, never dropped. */
    public void offerNotice(Consumer<BeatListener> notice) {
        synchronized (this) {
            if (removed) {
                return;
            }
            notices.add(notice);
            if (running) {
                return;
            }
            running = true;
        }
        executor.execute(this::drain);
    }

    private void drain() {
        while (true) {
            Consumer<BeatListener> notice;
            BeatContext phase = null;
            synchronized (this) {
                notice = notices.poll();
                if (notice == null) {
                    phase = latePhases.poll();
                    if (phase == null) {
                        phase = pendingPhase;
                        pendingPhase = null;
                    }
                    if (phase == null || removed) {
                        running = false;
                        return;
                    }
                }
            }
            if (notice != null) {
                safely(() -> notice.accept(listener));
            } else {
                deliver(phase);
            }
        }
    }

    private void deliver(BeatContext ctx) {
        // never twice, never backwards, whatever was offered
        if (ctx.beatIndex() < lastBeat || (ctx.beatIndex() == lastBeat && ctx.phaseIndex() <= lastPhase)) {
            return;
        }
        lastBeat = ctx.beatIndex();
        lastPhase = ctx.phaseIndex();
        if (ctx.downbeat() && ctx.phaseIndex() == 0) {
            safely(() -> listener.onDownbeat(ctx));
        }
        BeatClock clock = ctx.deadline().clock(); // the client's: callbacks are timed on virtual time in tests
        long t0 = clock.nanoTime();
        safely(() -> listener.onPhase(ctx));
        timings.record(clock.nanoTime() - t0, ctx.deadline().isExpired());
    }

    private long ownErrors;

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) { // a listener must never kill the lane
            errors.increment();
            ownErrors++;
            // the first failures with their stack trace, then one line per 1000: no log flood at every phase
            if (ownErrors <= 3) {
                LOG.warn("BeatListener {} threw; it keeps receiving", listener.getClass().getName(), t);
            } else if (ownErrors % 1000 == 0) {
                LOG.warn("BeatListener {} has thrown {} times (last: {})", listener.getClass().getName(), ownErrors,
                        t.toString());
            }
            if (t instanceof VirtualMachineError vme) {
                throw vme;
            }
        }
    }
}
