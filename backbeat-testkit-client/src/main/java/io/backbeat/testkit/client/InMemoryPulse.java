package io.backbeat.testkit.client;

import io.backbeat.testkit.VirtualClock;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.BeatPhase;
import io.backbeat.api.FrameSchedule;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.hlc.HybridLogicalClock;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A pulse in memory, on a {@link VirtualClock}: it publishes a frame at the start of every phase
 * of its grid to every client built with {@link #clientBuilder} (by the pulse's rule,
 * {@link FrameSchedule}: never a pair twice or out of order), answers timeline requests, and
 * collects status claims — no NATS, no real time.
 *
 * <pre>{@code
 * VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
 * InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
 * try (BeatClient client = pulse.clientBuilder().build()) {
 *     RecordingListener rec = new RecordingListener();
 *     client.addListener(rec);
 *     clock.advance(Duration.ofMinutes(10));   // 3600 phases, in milliseconds of real time
 * }
 * }</pre>
 *
 * Clients it builds run their listener callbacks and their {@code runWithin} work on the clock's
 * {@link VirtualClock#executor() executor}, so when {@link VirtualClock#advance} returns every
 * callback due so far has run, or is asleep on the clock: a listener models work that takes time
 * with {@link VirtualClock#sleep} (or {@code advance} inside the callback), {@code runWithin}
 * completes or times out on virtual time, and the busy policy and deadlines behave as on real time.
 */
public final class InMemoryPulse {
    private final VirtualClock clock;
    private final HybridLogicalClock hlc;
    private final List<Consumer<byte[]>> sinks = new CopyOnWriteArrayList<>();
    private final List<StatusClaim> claims = new CopyOnWriteArrayList<>();
    private final List<BeatFrame> published = new CopyOnWriteArrayList<>();
    private volatile TimelineDescriptor descriptor;
    private volatile boolean silent;
    /** The last pair published or passed over; read and written by the thread advancing the clock. */
    private volatile BeatPhase last;

    private InMemoryPulse(VirtualClock clock, TimelineDescriptor d) {
        this.clock = clock;
        this.descriptor = d;
        this.hlc = HybridLogicalClock.builder(d.leaderId().isEmpty() ? "in-memory-pulse" : d.leaderId())
                .physicalClock(() -> Math.floorDiv(clock.epochNanos(), 1_000_000L)).build();
        // the first frame is the first phase after now: the run continues after the pair before it
        last = FrameSchedule.next(Timeline.of(d), null, null, clock.epochNanos()).pair().preceding(d.phases().size());
        scheduleNext();
    }

    /** A pulse at {@code bpm}, 4 beats a bar, default phases, beat 0 now, term 1, leader {@code pulse-1}. */
    public static InMemoryPulse start(VirtualClock clock, String clusterId, double bpm) {
        return start(clock, new TimelineDescriptor(clusterId, clock.epochNanos(), 0, bpm, 4,
                TimelineDescriptor.DEFAULT_PHASES, 1, "pulse-1", null));
    }

    /** A pulse on the given grid. */
    public static InMemoryPulse start(VirtualClock clock, TimelineDescriptor descriptor) {
        return new InMemoryPulse(clock, descriptor);
    }

    /**
     * A client builder wired to this pulse and clock: callbacks and {@code runWithin} work on
     * {@link VirtualClock#executor()}, so they take part in virtual time.
     */
    public BeatClient.Builder clientBuilder() {
        return BeatClient.builder(descriptor.clusterId()).transport(transport()).clock(clock)
                .callbackExecutor(clock.executor()).deadlineExecutor(clock.executor());
    }

    /** A transport connected to this pulse. */
    public BeatTransport transport() {
        return new BeatTransport() {
            private Consumer<byte[]> sink;

            @Override
            public void subscribeBeats(String clusterId, Consumer<byte[]> s) {
                sink = s;
                sinks.add(s);
            }

            @Override
            public CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout) {
                if (silent) {
                    return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("pulse silent"));
                }
                return CompletableFuture.completedFuture(BackbeatCodec.encodeDescriptor(descriptor));
            }

            @Override
            public void publishStatus(String clusterId, byte[] claim) {
                claims.add(BackbeatCodec.decodeClaim(claim));
            }

            @Override
            public boolean isConnected() {
                return !silent;
            }

            @Override
            public void close() {
                sinks.remove(sink);
            }
        };
    }

    /** The grid. */
    public TimelineDescriptor descriptor() {
        return descriptor;
    }

    /** The pulse goes silent (leader lost, network cut) until {@link #resume()}. */
    public void silence() {
        silent = true;
    }

    /** Frames flow again from the next phase on. */
    public void resume() {
        silent = false;
    }

    /** A new leader with {@code term} continues the same grid. */
    public void failover(long term, String leaderId) {
        descriptor = descriptor.withLeader(term, leaderId);
    }

    /** Accepts a tempo change at the next downbeat (no validation: that is the real pulse's job). */
    public void changeTempo(double bpm) {
        TimelineDescriptor d = descriptor.settle(clock.epochNanos());
        long at = Timeline.of(d).nextDownbeatAfter(clock.epochNanos());
        descriptor = d.withPending(new io.backbeat.api.PendingTempo(bpm, at));
    }

    /** Frames published so far. */
    public List<BeatFrame> published() {
        return List.copyOf(published);
    }

    /** Status claims received so far. */
    public List<StatusClaim> claims() {
        return List.copyOf(claims);
    }

    /** Publishes raw bytes to every client (hostile-input tests). */
    public void publishRaw(byte[] payload) {
        for (Consumer<byte[]> s : sinks) {
            s.accept(payload);
        }
    }

    private void scheduleNext() {
        FrameSchedule.Emission next = FrameSchedule.next(Timeline.of(descriptor), last, null, clock.epochNanos());
        clock.scheduleAtEpoch(next.instantNanos(), this::publishDue);
    }

    /**
     * At a phase start: the next frame is scheduled first (so that a callback run inline that
     * advances the clock meets it), then this one is sent, on the grid as it is now (a tempo change
     * or failover made since it was scheduled counts). A frame is sent at its instant only: a phase
     * the grid as it is now puts elsewhere is waited for, or passed over once it has begun.
     */
    private void publishDue() {
        TimelineDescriptor d = descriptor;
        Timeline grid = Timeline.of(d);
        long at = clock.epochNanos();
        FrameSchedule.Emission due = FrameSchedule.next(grid, last, null, at);
        if (due.instantNanos() > at) {
            clock.scheduleAtEpoch(due.instantNanos(), this::publishDue); // the grid moved: not yet
            return;
        }
        last = due.pair();
        scheduleNext();
        if (silent || due.instantNanos() != at) {
            return;
        }
        BeatFrame f = BeatFrame.at(grid, due.position(), hlc.now().toString(), d.leaderId(), d.term());
        published.add(f);
        byte[] bytes = BackbeatCodec.encodeFrame(f);
        for (Consumer<byte[]> s : sinks) {
            s.accept(bytes);
        }
    }

    /** Convenience: the instant of the virtual wall clock. */
    public Instant now() {
        return io.backbeat.api.EpochNanos.toInstant(clock.epochNanos());
    }
}
