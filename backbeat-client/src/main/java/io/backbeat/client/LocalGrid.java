package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.client.spi.BeatTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The client's own copy of the beat: a daemon thread {@code backbeat-grid-<cluster>} that wakes at
 * absolute grid instants, notices when the pulse has been silent for a phase plus the grace period
 * (degradation), then derives each phase itself until frames return (recovery), and in
 * {@link DispatchMode#GRID} dispatches every phase at its grid instant.
 */
final class LocalGrid {
    private static final Logger LOG = LoggerFactory.getLogger(BeatClient.class);

    private final ClientState state;
    /** A fixed grace, or null: a quarter of the phase, at most {@link #MAX_AUTO_GRACE_NANOS}. */
    private final Duration grace;
    static final long MAX_AUTO_GRACE_NANOS = 250_000_000L;
    private final DispatchMode mode;
    private final BeatTransport transport;
    private final TimelineFetcher fetcher;
    private final PhaseDispatcher dispatcher;
    private final ClientCounters counters;
    private final long startedEpoch;
    private final Thread thread;
    private final CountDownLatch ready = new CountDownLatch(1);
    // guarded by state.lock
    private long lastFrameBeat = Long.MIN_VALUE;
    private int lastFramePhase = -1;
    private volatile boolean degraded;
    private volatile String degradedReason = "";
    private volatile Runnable stateChanged = () -> { };
    /** When the transport was first seen connected (epoch ns), MIN before: the start-up grace counts from it. */
    private long connectedEpoch = Long.MIN_VALUE;

    LocalGrid(ClientState state, Duration grace, DispatchMode mode, BeatTransport transport, TimelineFetcher fetcher,
              PhaseDispatcher dispatcher, ClientCounters counters, long startedEpoch) {
        this.state = state;
        this.grace = grace;
        this.mode = mode;
        this.transport = transport;
        this.fetcher = fetcher;
        this.dispatcher = dispatcher;
        this.counters = counters;
        this.startedEpoch = startedEpoch;
        this.thread = new Thread(this::loop, "backbeat-grid-" + state.clusterId);
        this.thread.setDaemon(true);
    }

    /** Starts the thread and returns once it runs (on a virtual clock: asleep on it), at most 5 s. */
    void start() {
        thread.start();
        try {
            ready.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Wakes the thread so it sees the client is closed. */
    void interrupt() {
        thread.interrupt();
    }

    /** Waits up to 1 s for the thread to end. */
    void join() {
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Called (outside the lock) after a degradation or recovery. */
    void onStateChange(Runnable r) {
        this.stateChanged = r;
    }

    /** Why the client is degraded (empty when it is not). */
    String degradedReason() {
        return degradedReason;
    }

    /** {@code true} while phases are derived locally. */
    boolean degraded() {
        return degraded;
    }

    /** A frame of (beat, phase) was accepted. Holds the lock. */
    void frameSeen(long beatIndex, int phaseIndex) {
        lastFrameBeat = beatIndex;
        lastFramePhase = phaseIndex;
    }

    /**
     * Ends a degradation on an accepted frame: the correction is the local grid's deadline minus the
     * frame's, compared at the frame's precision. Holds the lock.
     */
    void recoverOn(BeatFrame f, int phaseIndex, Timeline grid, long frameDeadline) {
        if (!degraded) {
            return;
        }
        long gridDeadline = grid != null ? grid.deadlineNanos(f.beatIndex(), phaseIndex) : frameDeadline;
        // a frame written in (truncated) milliseconds is compared at that precision, a finer one exactly
        long reference = frameDeadline % 1_000_000L == 0 ? Math.floorDiv(gridDeadline, 1_000_000L) * 1_000_000L
                : gridDeadline;
        long correction = reference - frameDeadline;
        counters.lastCorrectionNanos = correction;
        degraded = false;
        counters.recoveries.increment();
        Duration c = Duration.ofNanos(correction);
        LOG.info("beat frames are back (beat {} {}); local grid was off by {} ns", f.beatIndex(), f.phase(),
                correction);
        dispatcher.notifyAll(x -> x.onRecovered(c));
        degradedReason = "";
    }

    private void loop() {
        while (!state.closed) {
            try {
                Timeline grid = state.timeline;
                if (grid == null) {
                    fetcher.request();
                    long wake = state.clock.nanoTime() + 50_000_000L;
                    ready.countDown();
                    state.clock.sleepUntil(wake);
                    continue;
                }
                long wakeEpoch;
                boolean was = degraded;
                synchronized (state.lock) {
                    wakeEpoch = step(grid);
                }
                if (was != degraded) {
                    stateChanged.run();
                }
                long wake = state.clock.nanoTime() + (wakeEpoch - state.clock.epochNanos());
                ready.countDown();
                state.clock.sleepUntil(wake);
            } catch (InterruptedException e) {
                if (state.closed) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.error("grid thread error (continuing)", e);
                try {
                    state.clock.sleepUntil(state.clock.nanoTime() + 10_000_000L);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** The grace at {@code pos}: the fixed one, or a quarter of its phase (at most 250 ms). */
    private long graceNanos(GridPosition pos) {
        if (grace != null) {
            return grace.toNanos();
        }
        return Math.min(MAX_AUTO_GRACE_NANOS, Math.max(1_000_000L, (pos.deadlineNanos() - pos.phaseStartNanos()) / 4));
    }

    /** One wake-up: degrade when the pulse is silent, dispatch what is due; returns the next wake (epoch ns). */
    private long step(Timeline grid) {
        long now = state.clock.epochNanos();
        GridPosition pos = grid.positionAt(now);
        long graceNs = graceNanos(pos);
        long expectedStart;
        if (lastFrameBeat == Long.MIN_VALUE) {
            // no frame yet: give the pulse one phase plus grace from when NATS was first reached
            // (not from build(): a client started before NATS is connecting, not degraded)
            if (connectedEpoch == Long.MIN_VALUE) {
                if (!transport.isConnected()) {
                    return Math.min(now + 50_000_000L, grid.following(pos).phaseStartNanos());
                }
                connectedEpoch = Math.max(now, startedEpoch);
            }
            expectedStart = Math.max(grid.positionAt(connectedEpoch).deadlineNanos(), connectedEpoch);
        } else {
            expectedStart = grid.following(grid.position(lastFrameBeat, lastFramePhase)).phaseStartNanos();
        }
        boolean silent = now >= expectedStart + graceNs;
        if (silent && !degraded) {
            degraded = true;
            counters.degradations.increment();
            String why = "no beat frame within " + graceNs / 1_000_000 + " ms of the phase start at "
                    + Instant.ofEpochSecond(0, expectedStart) + " (transport "
                    + (transport.isConnected() ? "connected" : "disconnected") + ")";
            LOG.warn("degraded: {}; deriving phases from the local grid", why);
            degradedReason = why;
            dispatcher.notifyAll(x -> x.onDegraded(why));
        }
        if (silent || mode == DispatchMode.GRID) {
            dispatcher.dispatch(pos, silent, null);
        }
        if (silent) {
            fetcher.request(); // cheap retry: a pulse may answer while frames are lost
        }
        long nextPhase = grid.following(pos).phaseStartNanos();
        long wakeEpoch = (silent || mode == DispatchMode.GRID) ? nextPhase
                : Math.max(expectedStart + graceNs, now + 1_000_000L);
        return Math.min(wakeEpoch, nextPhase + graceNs);
    }
}
