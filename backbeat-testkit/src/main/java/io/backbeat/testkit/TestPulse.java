package io.backbeat.testkit;

import io.backbeat.api.BeatClock;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.BeatPhase;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochClock;
import io.backbeat.api.FrameSchedule;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.hlc.HybridLogicalClock;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A single-node stand-in for the pulse, for integration tests of services: over a real NATS
 * connection it answers {@code backbeat.{cluster}.timeline} and publishes a frame at the start of
 * every phase of a fixed grid, scheduled by absolute deadlines, by the same rule as the pulse
 * ({@link FrameSchedule}: never a pair twice or out of order, never a phase that has ended).
 * Tests can pause it (a silent leader), change the term and leader (a failover on the same grid)
 * and publish raw payloads (a hostile publisher). Not a replacement for the real pulse: no
 * consensus, and it starts at the next phase even before its grid's anchor.
 */
public final class TestPulse implements AutoCloseable {
    private final Connection nc;
    private final Dispatcher dispatcher;
    private final String clusterId;
    private final BeatClock clock = BeatClock.system(); // the project's one park-then-spin sleep
    private final HybridLogicalClock hlc;
    private final Thread thread;
    private final List<BeatFrame> published = new CopyOnWriteArrayList<>();
    private volatile TimelineDescriptor descriptor;
    private volatile boolean paused;
    private volatile boolean closed;

    private TestPulse(String natsUrl, TimelineDescriptor d) {
        this.clusterId = d.clusterId();
        this.descriptor = d;
        this.hlc = HybridLogicalClock.create(d.leaderId().isEmpty() ? "test-pulse" : d.leaderId());
        try {
            nc = Nats.connect(new Options.Builder().server(natsUrl).connectionName("backbeat-test-pulse")
                    .maxReconnects(-1).reconnectWait(Duration.ofMillis(100))
                    // like the pulse: no reconnect buffer, a frame that cannot go out now never arrives late
                    .reconnectBufferSize(0).build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        dispatcher = nc.createDispatcher(msg -> {
            if (msg.getReplyTo() != null && !paused) {
                nc.publish(msg.getReplyTo(), BackbeatCodec.encodeDescriptor(descriptor));
            }
        });
        dispatcher.subscribe(ClusterId.timelineSubject(clusterId));
        thread = new Thread(this::run, "backbeat-test-pulse-" + clusterId);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts a pulse of {@code clusterId} at {@code bpm} with the default phases and 4 beats a bar,
     * beat 0 at the next whole second, term 1, leader {@code test-pulse}.
     */
    public static TestPulse start(String natsUrl, String clusterId, double bpm) {
        long now = EpochClock.system().epochNanos();
        long anchor = (now / 1_000_000_000L + 1) * 1_000_000_000L;
        return start(natsUrl, new TimelineDescriptor(clusterId, anchor, 0, bpm, 4, TimelineDescriptor.DEFAULT_PHASES,
                1, "test-pulse", null));
    }

    /** Starts a pulse on the given grid. */
    public static TestPulse start(String natsUrl, TimelineDescriptor descriptor) {
        return new TestPulse(natsUrl, descriptor);
    }

    /** The grid. */
    public TimelineDescriptor descriptor() {
        return descriptor;
    }

    /** Stops publishing and answering (a silent leader) until {@link #resume()}. */
    public void pause() {
        paused = true;
    }

    /** Publishes again, from the current phase on. */
    public void resume() {
        paused = false;
    }

    /** A new leader on the same grid: later frames carry {@code term} and {@code leaderId}. */
    public void failover(long term, String leaderId) {
        descriptor = descriptor.withLeader(term, leaderId);
    }

    /** Replaces the grid (e.g. with a pending tempo change); frames follow it from the next phase. */
    public void setDescriptor(TimelineDescriptor d) {
        descriptor = d;
    }

    /** Publishes raw bytes on the beat subject (for hostile-publisher tests). */
    public void publishRaw(byte[] payload) {
        nc.publish(ClusterId.beatSubject(clusterId), payload);
        try {
            nc.flush(Duration.ofSeconds(1));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A well-formed frame for a grid position, stamped by this pulse (for building hostile variants). */
    public BeatFrame frameAt(GridPosition pos) {
        TimelineDescriptor d = descriptor;
        return BeatFrame.at(Timeline.of(d), pos, hlc.now().toString(), d.leaderId(), d.term());
    }

    /** Every frame published so far. */
    public List<BeatFrame> published() {
        return List.copyOf(published);
    }

    private void run() {
        BeatPhase last = null; // the last pair published, or passed over while paused or late
        while (!closed) {
            TimelineDescriptor d = descriptor;
            Timeline grid = Timeline.of(d);
            long now = clock.epochNanos();
            FrameSchedule.Emission next = FrameSchedule.next(grid, last, null, now);
            try {
                clock.sleepUntil(clock.nanoTime() + (next.instantNanos() - now));
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                continue; // compute the next phase again
            }
            if (closed) {
                return;
            }
            last = next.pair();
            if (paused || next.skippedPhases() > 0 || next.endedAt(clock.epochNanos())) {
                // silent; or late: a phase reached by skipping ended ones is already under way, so the
                // pulse waits for the next phase start (never a frame sent late or mid-phase)
                continue;
            }
            BeatFrame f = BeatFrame.at(grid, next.position(), hlc.now().toString(), d.leaderId(), d.term());
            try {
                nc.publish(ClusterId.beatSubject(clusterId), BackbeatCodec.encodeFrame(f));
                published.add(f);
            } catch (RuntimeException e) {
                // disconnected: a frame that cannot go out now is never sent late
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
