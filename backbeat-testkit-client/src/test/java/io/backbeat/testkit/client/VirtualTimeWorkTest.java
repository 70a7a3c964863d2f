package io.backbeat.testkit.client;

import io.backbeat.api.BeatClock;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatDeadline;
import io.backbeat.client.BeatListener;
import io.backbeat.client.BusyPolicy;
import io.backbeat.client.ClientStats;
import io.backbeat.client.DeadlineExceededException;
import io.backbeat.testkit.VirtualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Work that takes virtual time, in listeners and in {@code runWithin}, with the test kit's own API. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualTimeWorkTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final long MS = 1_000_000L;

    /** A listener that sleeps {@code work} on the clock in the phases named {@code phases}. */
    private static RecordingListener working(VirtualClock clock, Duration work, String... phases) {
        List<String> busy = List.of(phases);
        return new RecordingListener(clock) {
            @Override
            protected void afterPhase(BeatContext ctx) {
                if (busy.isEmpty() || busy.contains(ctx.phase())) {
                    try {
                        clock.sleep(work);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    @Test
    void withSkipThePhaseThatStartsDuringTheWorkIsSkipped() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener rec = working(clock, Duration.ofMillis(300), "execute");
        ClientStats stats;
        try (BeatClient client = pulse.clientBuilder().busyPolicy(BusyPolicy.SKIP).build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(10)); // beat 0's execute to beat 20's plan
            stats = client.stats();
        }
        assertThat(rec.phases()).extracting(RecordingListener.Seen::phase).doesNotContain("review");
        assertThat(rec.phases()).hasSize(20 + 20).allMatch(s -> s.lagNanos() == 0);
        assertThat(stats.skippedBusy()).isEqualTo(20);
        assertThat(stats.callbacksPastDeadline()).isEqualTo(20);
        // callbacks are timed on the client's clock: virtual time
        assertThat(stats.callbackNanosMax()).isEqualTo(300 * MS);
        assertThat(stats.callbackNanosTotal()).isEqualTo(20 * 300 * MS);
    }

    /**
     * Every phase's work takes 300 ms, longer than the 166.67 ms phase: with QUEUE_ONE the listener
     * takes, each time it is free, the latest phase that started, so it runs back to back every
     * 300 ms and skips one phase in two.
     */
    @Test
    void withQueueOneTheLatestPhaseRunsAsSoonAsTheListenerIsFree() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener rec = working(clock, Duration.ofMillis(300));
        ClientStats stats;
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(rec);
            clock.advance(Duration.ofSeconds(30));
            stats = client.stats();
        }
        Timeline grid = Timeline.of(pulse.descriptor());
        long first = grid.phaseStartNanos(0, 1);
        List<RecordingListener.Seen> seen = rec.phases();
        assertThat(seen).hasSize(100); // 30 s minus the first phase start, every 300 ms
        for (int i = 0; i < seen.size(); i++) {
            RecordingListener.Seen s = seen.get(i);
            assertThat(s.arrivedEpochNanos()).as("arrival %d", i).isEqualTo(first + i * 300 * MS);
            GridPosition latest = grid.positionAt(s.arrivedEpochNanos());
            assertThat(s.beatIndex() * 3 + s.phaseIndex()).as("arrival %d gets the latest phase", i)
                    .isEqualTo(latest.beatIndex() * 3 + latest.phaseIndex());
        }
        assertThat(seen).extracting(s -> Math.round(s.lagNanos() / 1e6)).as("lag, ms")
                .containsOnly(0L, 133L, 100L, 67L, 33L);
        assertThat(rec.sequenceProblems(3, false)).isEmpty();
        assertThat(stats.skippedBusy()).isPositive();
        assertThat(stats.phasesDispatched()).isEqualTo(seen.size() + stats.skippedBusy() + 1); // one still waits
    }

    /** A grid of one-hour phases (1/180 BPM): runWithin completes and times out by virtual time. */
    @Test
    void anHourOfRunWithinTakesNoRealTime() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 1.0 / 180);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        long real = System.nanoTime();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(new BeatListener() {
                @Override
                public void onExecute(BeatContext ctx) {
                    Duration work = Duration.ofMinutes(ctx.beatIndex() == 0 ? 59 : 61);
                    long start = clock.nanoTime();
                    try {
                        String r = ctx.deadline().runWithin(() -> {
                            clock.sleep(work);
                            return "done";
                        });
                        outcomes.add(r + " after " + Duration.ofNanos(clock.nanoTime() - start));
                    } catch (DeadlineExceededException e) {
                        outcomes.add("cancelled after " + Duration.ofNanos(clock.nanoTime() - start));
                    }
                }
            });
            clock.advance(Duration.ofHours(6)); // the execute phases of beats 0 and 1
        }
        long realMs = (System.nanoTime() - real) / MS;
        assertThat(outcomes).containsExactly("done after PT59M", "cancelled after PT1H");
        System.out.println("six virtual hours with two hour-long runWithin calls took " + realMs + " ms");
        assertThat(realMs).as("real ms").isLessThan(1_000);
    }

    /** A deadline made by the test on the virtual clock behaves the same on the clock's executor. */
    @Test
    void aDeadlineOnTheVirtualClockRunsWithinOnVirtualTime() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        clock.schedule(0, () -> clock.executor().execute(() -> {
            BeatDeadline d = BeatDeadline.at(clock, clock.nanoTime() + Duration.ofHours(1).toNanos());
            outcomes.add(d.runWithin(clock.executor(), () -> {
                clock.sleep(Duration.ofMinutes(30));
                return "done at " + Duration.ofNanos(clock.nanoTime());
            }));
            try {
                d.runWithin(clock.executor(), () -> {
                    clock.sleep(Duration.ofHours(1));
                    return "never";
                });
            } catch (DeadlineExceededException e) {
                outcomes.add("cancelled at " + Duration.ofNanos(clock.nanoTime()));
            }
        }));
        long real = System.nanoTime();
        clock.advance(Duration.ofHours(3));
        assertThat(outcomes).containsExactly("done at PT30M", "cancelled at PT1H");
        assertThat((System.nanoTime() - real) / MS).as("real ms").isLessThan(1_000);
    }

    @Test
    void recordingListenerTakesTheClockToStampArrivalsWith() {
        VirtualClock clock = VirtualClock.startingAt(T0);
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120);
        RecordingListener virtual = new RecordingListener(clock);
        RecordingListener real = new RecordingListener(BeatClock.system());
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(virtual);
            client.addListener(real);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(virtual.phases()).hasSize(6).allMatch(s -> s.lagNanos() == 0);
        // the system clock, as asked: today is years before the virtual 2030
        assertThat(real.phases()).hasSize(6).allMatch(s -> s.lagNanos() < 0);
    }
}
