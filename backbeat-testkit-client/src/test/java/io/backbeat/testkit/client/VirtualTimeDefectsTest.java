package io.backbeat.testkit.client;

import io.backbeat.api.ClaimState;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.Timeline;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.DeadlineExceededException;
import io.backbeat.testkit.VirtualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three defects of issue #14 item 7, as a user of the test kit meets them: an in-memory pulse, a
 * virtual clock and a real {@link BeatClient}; only the clock SPI ({@code sleepUntil}) models work
 * that takes virtual time. Each test failed (or timed out) before virtual-time work was built.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualTimeDefectsTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final long MS = 1_000_000L;

    /** Defect 1: {@code advance} inside a callback threw after 10 s ("did not go back to sleep"). */
    @Test
    void advanceInsideACallbackLetsTheCallbacksOwnTimePass() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "probe", 120);
        List<Long> took = new CopyOnWriteArrayList<>();
        RecordingListener rec = new RecordingListener();
        long real = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(new BeatListener() {
                @Override
                public void onExecute(BeatContext ctx) {
                    long before = clock.nanoTime();
                    clock.advance(Duration.ofMillis(250)); // the callback "works" 250 ms, past its phase
                    took.add(clock.nanoTime() - before);
                }
            });
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(2));
            assertThat(client.stats().listenerErrors()).isZero();
        }
        long realMs = (System.nanoTime() - real) / MS;
        assertThat(took).hasSize(4).containsOnly(250 * MS);
        // the other listener was not held up: every phase once, in order, at its own instant
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.phases()).hasSize(12).allMatch(s -> s.lagNanos() == 0);
        assertThat(realMs).as("real ms").isLessThan(5_000);
    }

    /**
     * Defect 1 on a direct callback executor (callbacks on the advancing thread, under the client's
     * lock): advance inside the callback runs the clock forward from there; the grid thread wakes in
     * it and cannot take the client's lock until the callback returns, and advance goes on without it
     * (it catches up) instead of throwing after 10 s. The frame of the phase that starts meanwhile
     * waits for the listener (QUEUE_ONE).
     */
    @Test
    void advanceInsideACallbackOnADirectExecutorDoesNotHangOrThrow() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "probe", 120);
        List<Long> took = new CopyOnWriteArrayList<>();
        RecordingListener rec = new RecordingListener() {
            @Override
            protected void afterPhase(BeatContext ctx) {
                if (ctx.phase().equals("execute")) {
                    long before = clock.nanoTime();
                    clock.advance(Duration.ofMillis(250));
                    took.add(clock.nanoTime() - before);
                }
            }
        };
        long real = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().callbackExecutor(Runnable::run).grace(Duration.ofMillis(50))
                .build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(2));
            assertThat(client.stats().listenerErrors()).isZero();
            assertThat(client.stats().degradations()).isZero();
        }
        assertThat(took).hasSize(4).containsOnly(250 * MS);
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        assertThat(rec.phases()).hasSize(12);
        Timeline grid = Timeline.of(pulse.descriptor());
        for (RecordingListener.Seen s : rec.phases()) {
            long expected = s.phase().equals("review") ? grid.phaseStartNanos(s.beatIndex(), 1) + 250 * MS
                    : grid.phaseStartNanos(s.beatIndex(), s.phaseIndex());
            assertThat(s.arrivedEpochNanos()).as("arrival of %s", s).isEqualTo(expected);
        }
        assertThat((System.nanoTime() - real) / MS).as("real ms").isLessThan(5_000);
    }

    /**
     * Defect 2: {@code runWithin} waited in real time for virtual time (every call timed out after a
     * phase of real time; ten minutes of beats took minutes). Work that sleeps 100 ms of virtual time
     * completes inside the 166 ms execute phase; every tenth beat's 200 ms overruns it and is cancelled.
     */
    @Test
    void runWithinCompletesAndTimesOutOnVirtualTime() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "probe", 120);
        List<Long> completed = new CopyOnWriteArrayList<>();
        List<Long> timedOut = new CopyOnWriteArrayList<>();
        java.util.Map<Long, Long> finishedAt = new java.util.concurrent.ConcurrentHashMap<>();
        long real = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(new BeatListener() {
                @Override
                public void onExecute(BeatContext ctx) {
                    long beat = ctx.beatIndex();
                    long work = beat % 10 == 9 ? 200 * MS : 100 * MS;
                    long start = clock.nanoTime();
                    try {
                        long r = ctx.deadline().runWithin(() -> {
                            clock.sleepUntil(clock.nanoTime() + work);
                            return beat;
                        });
                        completed.add(r);
                        finishedAt.put(beat, clock.nanoTime() - start);
                    } catch (DeadlineExceededException e) {
                        timedOut.add(beat);
                        finishedAt.put(beat, clock.nanoTime() - start);
                    }
                }
            });
            clock.advance(Duration.ofMinutes(10)); // 1200 beats
        }
        long realMs = (System.nanoTime() - real) / MS;
        System.out.println("ten virtual minutes of runWithin (1200 calls) took " + realMs + " ms");
        assertThat(completed).hasSize(1080);
        assertThat(timedOut).hasSize(120).allMatch(b -> b % 10 == 9);
        // completion after exactly the work's 100 ms, cancellation exactly at the phase's end
        Timeline grid = Timeline.of(pulse.descriptor());
        assertThat(finishedAt).hasSize(1200);
        finishedAt.forEach((beat, took) -> assertThat(took).as("beat %d", beat)
                .isEqualTo(beat % 10 == 9 ? grid.deadlineNanos(beat, 1) - grid.phaseStartNanos(beat, 1) : 100 * MS));
        assertThat(realMs).as("real ms").isLessThan(30_000);
    }

    /** Defect 3: RecordingListener stamped arrivals with the real clock (lag of about -97,000,000 s). */
    @Test
    void recordingListenerStampsArrivalsOnTheClientsClock() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "probe", 120);
        RecordingListener rec = new RecordingListener();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(2));
        }
        assertThat(rec.phases()).hasSize(12);
        for (RecordingListener.Seen s : rec.phases()) {
            assertThat(s.lagNanos()).as("lag of %s", s).isZero();
            assertThat(s.arrivedEpochNanos()).isEqualTo(s.phaseStartEpochNanos());
        }
    }

    /**
     * A listener whose execute work takes 300 ms of virtual time at 120 BPM (phases of 166.67 ms):
     * the execute callback ends 133.33 ms after its deadline (its claim is LATE, 300 ms), the review
     * phase waits for it (QUEUE_ONE) and starts 133.33 ms late, the next plan is on time again. No
     * real waiting: a minute of it takes well under the real time it models.
     */
    @Test
    void workTaking300msAt120BpmMakesExecuteLateAndDelaysReview() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "probe", 120);
        RecordingListener rec = new RecordingListener() {
            @Override
            protected void afterPhase(BeatContext ctx) {
                if (ctx.phase().equals("execute")) {
                    try {
                        clock.sleepUntil(clock.nanoTime() + 300 * MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                ctx.report(ClaimState.COMPLETED, null);
            }
        };
        long real = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().markLateClaims(true).build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(60)); // beat 0's execute (the first frame) to beat 120's plan
            assertThat(client.stats().skippedBusy()).isZero();
            assertThat(client.stats().callbacksPastDeadline()).isEqualTo(120);
            assertThat(client.stats().listenerErrors()).isZero();
        }
        long realMs = (System.nanoTime() - real) / MS;
        Timeline grid = Timeline.of(pulse.descriptor());
        List<RecordingListener.Seen> seen = rec.phases();
        assertThat(seen).hasSize(120 * 3);
        assertThat(rec.sequenceProblems(3, true)).isEmpty();
        for (RecordingListener.Seen s : seen) {
            long start = grid.phaseStartNanos(s.beatIndex(), s.phaseIndex());
            long expectedArrival = s.phase().equals("review") ? grid.phaseStartNanos(s.beatIndex(), 1) + 300 * MS
                    : start;
            assertThat(s.arrivedEpochNanos()).as("arrival of %s", s).isEqualTo(expectedArrival);
        }
        assertThat(seen.get(1).lagNanos()).as("review of beat 0").isBetween(133_333_333L, 133_333_334L);
        List<StatusClaim> claims = pulse.claims();
        assertThat(claims).hasSize(120 * 3);
        for (StatusClaim c : claims) {
            switch (c.phase()) {
                case "plan" -> assertThat(c.state()).isEqualTo(ClaimState.COMPLETED);
                case "execute" -> {
                    assertThat(c.state()).isEqualTo(ClaimState.LATE);
                    assertThat(c.durationMs()).isEqualTo(300);
                }
                case "review" -> {
                    assertThat(c.state()).isEqualTo(ClaimState.COMPLETED);
                    assertThat(c.durationMs()).isEqualTo(133);
                }
                default -> throw new AssertionError(c);
            }
        }
        System.out.println("a virtual minute of 300 ms work at 120 BPM took " + realMs + " ms");
        assertThat(realMs).as("real ms").isLessThan(10_000);
    }
}
