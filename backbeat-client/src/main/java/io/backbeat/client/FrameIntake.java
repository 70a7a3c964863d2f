package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.client.internal.FrameGate;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * The frame path, on the transport's thread: every payload is judged by the {@link FrameGate}; an
 * accepted frame feeds the lag observers, ends a degradation and is dispatched at its grid position.
 */
final class FrameIntake {
    private final ClientState state;
    private final FrameGate gate;
    private final ClientCounters counters;
    private final TimelineFetcher fetcher;
    private final LocalGrid localGrid;
    private final PhaseDispatcher dispatcher;
    private final List<LongConsumer> lagObservers = new CopyOnWriteArrayList<>();
    private final Runnable stateChanged;

    FrameIntake(ClientState state, FrameGate gate, ClientCounters counters, TimelineFetcher fetcher,
                LocalGrid localGrid, PhaseDispatcher dispatcher, Runnable stateChanged) {
        this.stateChanged = stateChanged;
        this.state = state;
        this.gate = gate;
        this.counters = counters;
        this.fetcher = fetcher;
        this.localGrid = localGrid;
        this.dispatcher = dispatcher;
    }

    BeatClient.Registration addLagObserver(LongConsumer observer) {
        Objects.requireNonNull(observer, "observer");
        lagObservers.add(observer);
        return () -> lagObservers.remove(observer);
    }

    /** One payload from the beat subject. */
    void onPayload(byte[] payload) {
        if (state.closed) {
            return;
        }
        if (payload.length > 0) {
            counters.received.increment();
        }
        long now = state.clock.epochNanos();
        synchronized (state.lock) {
            Timeline grid = state.timeline;
            FrameGate.Verdict v = gate.accept(payload, now, grid);
            if (!v.accepted()) {
                if (v.dropped() == DropReason.OFF_GRID) {
                    // the grid may have changed (a tempo change, a new anchor): refresh it, then judge
                    // this frame once more against the refreshed grid
                    fetcher.refreshThenRejudge(payload);
                }
                return;
            }
            counters.accepted.increment();
            if (!state.frameAccepted) {
                state.frameAccepted = true; // written once: the state's LIVE test reads a flag, not the adder
            }
            BeatFrame f = v.frame();
            int phaseIndex = gate.lastPhase();
            long frameDeadline = EpochNanos.of(f.deadlineAt());
            if (grid != null) {
                observeLag(now - grid.phaseStartNanos(f.beatIndex(), phaseIndex));
            }
            grid = adoptAnnouncedTempo(f, grid);
            localGrid.frameSeen(f.beatIndex(), phaseIndex);
            if (v.newTerm()) {
                fetcher.probeTerm(f.term(), grid);
            }
            localGrid.recoverOn(f, phaseIndex, grid, frameDeadline);
            if (grid != null) {
                dispatcher.dispatch(grid.position(f.beatIndex(), phaseIndex), false, f);
            } else {
                // unknown grid: the frame is the only truth we have; its tempo and phases give the length
                long start = frameDeadline - phaseNanosOf(f, phaseIndex);
                dispatcher.dispatch(new GridPosition(f.beatIndex(), phaseIndex, f.phase(), start, frameDeadline,
                        f.downbeat(), f.tempoBpm()), false, f);
            }
        }
        stateChanged.run();
    }

    /**
     * A frame of this project's pulse says which tempo change is pending ({@code next_tempo_*}, or
     * nothing): the local grid takes it at once, so the new tempo's downbeat is on the grid (no frame
     * dropped as off-grid), GRID mode and a degraded client derive it with the new tempo and phase
     * length, and {@code onTempoChange} comes before its first phase. The replicated timeline is asked
     * to confirm. A frame without the v1 extensions says nothing about a pending change. Holds the lock.
     */
    private Timeline adoptAnnouncedTempo(BeatFrame f, Timeline grid) {
        if (grid == null || f.beatsPerBar() <= 0) {
            return grid;
        }
        PendingTempo announced = f.nextTempo();
        PendingTempo current = grid.descriptor().pending();
        // nothing new (the frame announces the change the grid holds, or none once it has applied): no
        // descriptor is made per frame; what follows would keep the grid too
        if (Objects.equals(announced, current)
                || (announced == null && f.beatIndex() >= current.atBeatIndex())) {
            return grid;
        }
        // a change that has applied is folded into the anchor first, so a newer announcement keeps it
        TimelineDescriptor d = grid.descriptor().settle(grid.phaseStartNanos(f.beatIndex(), Math.max(0, f.phaseIndex())));
        PendingTempo known = d.pending();
        if (Objects.equals(announced, known)) {
            return grid;
        }
        if (announced == null && (known == null || f.beatIndex() >= known.atBeatIndex())) {
            return grid; // the known change has applied: the grid already holds it
        }
        if (announced != null && known == null && announced.atBeatIndex() <= d.anchorBeatIndex()) {
            return grid;
        }
        try {
            Timeline updated = Timeline.of(d.withPending(announced));
            state.timeline = updated;
            counters.tempoAnnouncements.increment();
            fetcher.request();
            return updated;
        } catch (IllegalArgumentException e) {
            return grid; // not a change this grid can take (another bar, a past downbeat): the timeline decides
        }
    }

    private void observeLag(long lag) {
        counters.lastFrameLagNanos = lag;
        for (LongConsumer o : lagObservers) {
            try {
                o.accept(lag);
            } catch (RuntimeException e) {
                counters.listenerErrors.increment();
            }
        }
    }

    /**
     * The length of phase {@code phaseIndex} on a grid of the frame's own tempo and phases (the same
     * {@link Timeline} maths as everywhere; phase lengths do not depend on the anchor); 1 ns when the
     * frame does not say enough.
     */
    private static long phaseNanosOf(BeatFrame f, int phaseIndex) {
        try {
            Timeline g = Timeline.of(TimelineDescriptor.initial(f.clusterId(), 0, f.tempoBpm(),
                    Math.max(1, f.beatsPerBar()), f.phases()));
            return g.deadlineNanos(0, phaseIndex) - g.phaseStartNanos(0, phaseIndex);
        } catch (RuntimeException e) {
            return 1;
        }
    }
}
