package io.backbeat.client;

import io.backbeat.api.GridPosition;
import io.backbeat.client.internal.ListenerSlot;
import io.backbeat.hlc.HybridLogicalClock;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Hands phases and notices to the listeners of one client: a (beat, phase) goes out once, only when
 * it is newer than the last one dispatched, as one {@link PhaseContext} per listener lane.
 */
final class PhaseDispatcher {
    private final ClientState state;
    private final HybridLogicalClock hlc;
    private final ClientCounters counters;
    private final StatusReporter reporter;
    private final Executor callbacks;
    private final BusyPolicy busyPolicy;
    private final Executor deadlineWork;
    private final List<ListenerSlot> slots = new CopyOnWriteArrayList<>();
    // guarded by state.lock
    private long cursorBeat = Long.MIN_VALUE;
    private int cursorPhase = -1;
    private volatile double tempoBpm;

    PhaseDispatcher(ClientState state, HybridLogicalClock hlc, ClientCounters counters, StatusReporter reporter,
                    Executor callbacks, BusyPolicy busyPolicy, Executor deadlineWork) {
        this.state = state;
        this.hlc = hlc;
        this.counters = counters;
        this.reporter = reporter;
        this.callbacks = callbacks;
        this.busyPolicy = busyPolicy;
        this.deadlineWork = deadlineWork;
    }

    BeatClient.Registration addListener(BeatListener listener) {
        Objects.requireNonNull(listener, "listener");
        ListenerSlot slot = new ListenerSlot(listener, callbacks, busyPolicy, counters.listenerErrors,
                counters.skippedBusy, counters.timings);
        slots.add(slot);
        return () -> {
            slot.remove();
            slots.remove(slot);
        };
    }

    /** Tempo of the last phase dispatched, 0 before any. */
    double tempoBpm() {
        return tempoBpm;
    }

    /** Hands (beat, phase) to every listener unless it is not newer than the last one. Holds the lock. */
    void dispatch(GridPosition pos, boolean isDerived, String frameHlc) {
        if (GridPosition.compare(pos.beatIndex(), pos.phaseIndex(), cursorBeat, cursorPhase) <= 0) {
            return;
        }
        cursorBeat = pos.beatIndex();
        cursorPhase = pos.phaseIndex();
        counters.dispatched.increment();
        if (isDerived) {
            counters.derived.increment();
        }
        double old = tempoBpm;
        tempoBpm = pos.tempoBpm();
        if (old != 0 && Double.compare(old, pos.tempoBpm()) != 0) {
            double nw = pos.tempoBpm();
            notifyAll(x -> x.onTempoChange(old, nw));
        }
        long nowEpoch = state.clock.epochNanos();
        long deadlineNano = state.clock.nanoTime() + (pos.deadlineNanos() - nowEpoch);
        PhaseContext ctx = new PhaseContext(pos, isDerived, frameHlc != null ? frameHlc : hlc.now().toString(),
                Math.max(state.term, 0), state.leaderId, BeatDeadline.at(state.clock, deadlineNano, deadlineWork), state,
                counters.tasks, reporter);
        for (ListenerSlot s : slots) {
            s.offerPhase(ctx);
        }
    }

    /** Queues a notice (tempo, leader, degraded, recovered) for every listener. */
    void notifyAll(Consumer<BeatListener> notice) {
        for (ListenerSlot s : slots) {
            s.offerNotice(notice);
        }
    }
}
