package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.client.internal.ListenerSlot;
import io.backbeat.hlc.HybridLogicalClock;

import java.util.ArrayDeque;
import java.util.ArrayList;
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
    // the term and leader of the newest frame dispatched (guarded by state.lock): a frame can come
    // before the timeline that confirms its term, and a phase must not say term 0 then
    private long frameTerm = -1;
    private String frameLeader = "";

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

    /** Adds a lane; {@code degradedReason} (not null while the client is degraded) is told to it first. */
    BeatClient.Registration addListener(BeatListener listener, String degradedReason) {
        Objects.requireNonNull(listener, "listener");
        ListenerSlot slot = new ListenerSlot(listener, callbacks, busyPolicy, counters.listenerErrors,
                counters.skippedBusy, counters.timings);
        if (degradedReason != null) {
            slot.offerNotice(x -> x.onDegraded(degradedReason));
        }
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

    /** Most missed phases handed to a listener late at once; older ones are only counted. */
    static final int MAX_LATE = 256;
    /** Most missed phases counted one by one after a long pause (more are counted at this bound). */
    private static final int MAX_COUNTED = 100_000;

    /**
     * Hands (beat, phase) to every listener unless it is not newer than the last one. Phases between
     * the last one and this one were missed: they are counted, and each listener gets them as its
     * {@link MissedPhasePolicy} says, marked late, before this one. A phase from a frame carries that
     * frame's HLC, term and leader ({@code frame} is null for a derived phase). Holds the lock.
     */
    void dispatch(GridPosition pos, boolean isDerived, BeatFrame frame) {
        if (GridPosition.compare(pos.beatIndex(), pos.phaseIndex(), cursorBeat, cursorPhase) <= 0) {
            return;
        }
        List<GridPosition> missed = missedBefore(pos);
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
        if (frame != null && frame.term() >= frameTerm) {
            frameTerm = frame.term();
            frameLeader = frame.leaderId();
        }
        String hlcText = frame != null ? frame.hlc() : hlc.now().toString();
        for (ListenerSlot s : slots) {
            if (!missed.isEmpty()) {
                List<GridPosition> give = switch (s.missedPolicy()) {
                    case DELIVER_LATE -> missed;
                    case LAST_ONLY -> missed.subList(missed.size() - 1, missed.size());
                    case SKIP -> List.of();
                };
                List<BeatContext> late = new ArrayList<>(give.size());
                for (GridPosition m : give) {
                    late.add(context(m, true, hlc.now().toString(), true));
                }
                s.offerLate(late);
            }
            s.offerPhase(context(pos, isDerived, hlcText, false));
        }
    }

    /** The phases after the cursor and before {@code pos} (the newest {@link #MAX_LATE}), all counted. */
    private List<GridPosition> missedBefore(GridPosition pos) {
        Timeline t = state.timeline;
        if (cursorBeat == Long.MIN_VALUE || t == null) {
            return List.of();
        }
        ArrayDeque<GridPosition> out = new ArrayDeque<>();
        GridPosition p;
        try {
            p = t.following(t.position(cursorBeat, cursorPhase));
        } catch (RuntimeException e) {
            return List.of();
        }
        int n = 0;
        while (GridPosition.compare(p.beatIndex(), p.phaseIndex(), pos.beatIndex(), pos.phaseIndex()) < 0
                && n < MAX_COUNTED) {
            n++;
            out.addLast(p);
            if (out.size() > MAX_LATE) {
                out.removeFirst();
            }
            p = t.following(p);
        }
        if (n > 0) {
            counters.missed.add(n);
        }
        return new ArrayList<>(out);
    }

    private PhaseContext context(GridPosition pos, boolean isDerived, String hlcText, boolean late) {
        long nowEpoch = state.clock.epochNanos();
        long deadlineNano = state.clock.nanoTime() + (pos.deadlineNanos() - nowEpoch);
        Timeline t = state.timeline;
        long confirmed = state.term;
        boolean byFrame = frameTerm > confirmed;
        return new PhaseContext(pos, isDerived, hlcText, Math.max(byFrame ? frameTerm : confirmed, 0),
                byFrame ? frameLeader : state.leaderId,
                BeatDeadline.at(state.clock, deadlineNano, deadlineWork), state, counters.tasks, reporter,
                t != null ? t.beatsPerBar() : 1, late);
    }

    /** Queues a notice (tempo, leader, degraded, recovered) for every listener. */
    void notifyAll(Consumer<BeatListener> notice) {
        for (ListenerSlot s : slots) {
            s.offerNotice(notice);
        }
    }
}
