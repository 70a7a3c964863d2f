package io.backbeat.client;

import io.backbeat.api.BeatClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BeatDeadline arithmetic on a fake monotonic clock, and runWithin on the real one. */
class BeatDeadlineTest {

    static final class FakeClock implements BeatClock {
        long nanos = 1_000_000_000L;

        @Override public long epochNanos() { return nanos; }
        @Override public long nanoTime() { return nanos; }
        @Override public void sleepUntil(long deadline) { nanos = Math.max(nanos, deadline); }
    }

    @Test
    void remainingAndExpiryFollowTheClock() {
        FakeClock c = new FakeClock();
        BeatDeadline d = BeatDeadline.at(c, c.nanos + 500_000_000L);
        assertThat(d.timeRemaining()).isEqualTo(Duration.ofMillis(500));
        assertThat(d.timeRemaining(TimeUnit.MILLISECONDS)).isEqualTo(500);
        assertThat(d.isExpired()).isFalse();
        assertThat(d.share(0.8).timeRemaining()).isEqualTo(Duration.ofMillis(400));
        assertThat(d.minus(Duration.ofMillis(100)).timeRemaining()).isEqualTo(Duration.ofMillis(400));
        c.nanos += 500_000_000L;
        assertThat(d.isExpired()).isTrue();
        c.nanos += 1_000_000L;
        assertThat(d.timeRemaining()).isEqualTo(Duration.ofMillis(-1));
        assertThat(d.compareTo(BeatDeadline.at(c, c.nanos))).isNegative();
        assertThatThrownBy(() -> d.share(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void expiredDeadlineDoesNotStartTheWork() {
        FakeClock c = new FakeClock();
        BeatDeadline d = BeatDeadline.at(c, c.nanos);
        AtomicBoolean ran = new AtomicBoolean();
        assertThatThrownBy(() -> d.runWithin(() -> ran.set(true))).isInstanceOf(DeadlineExceededException.class);
        assertThat(ran).isFalse();
    }

    @Test
    void workPastTheDeadlineIsInterruptedAndTyped() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        BeatDeadline d = BeatDeadline.after(Duration.ofMillis(50));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> d.runWithin(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        })).isInstanceOf(DeadlineExceededException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1_000));
        assertThat(interrupted.await(1, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void resultsAndUncheckedExceptionsPassThrough() {
        BeatDeadline d = BeatDeadline.after(Duration.ofSeconds(5));
        assertThat(d.runWithin(() -> 42)).isEqualTo(42);
        assertThatThrownBy(() -> d.runWithin((Runnable) () -> {
            throw new IllegalStateException("mine");
        })).isInstanceOf(IllegalStateException.class).hasMessage("mine");
    }

    @Test
    void aDeadlineIsAValueOfItsClockAndInstant() {
        FakeClock c = new FakeClock();
        BeatDeadline d = BeatDeadline.at(c, c.nanos + 1_000);
        BeatDeadline same = BeatDeadline.at(c, c.nanos + 1_000, Runnable::run); // another executor: same value
        assertThat(d).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(d.compareTo(same)).isZero();
        assertThat(d).isNotEqualTo(BeatDeadline.at(c, c.nanos + 1_001));
        assertThat(d).isNotEqualTo(BeatDeadline.at(new FakeClock(), c.nanos + 1_000));
        assertThat(d.minus(Duration.ofNanos(1)).compareTo(d)).isNegative();
        assertThat(d.clock()).isSameAs(c);
        assertThat(BeatDeadline.after(Duration.ofSeconds(1)).clock()).isSameAs(BeatClock.system());
    }

    @Test
    void deadlinesOfDifferentClocksAreNotComparable() {
        BeatDeadline a = BeatDeadline.at(new FakeClock(), 5);
        BeatDeadline b = BeatDeadline.at(new FakeClock(), 5);
        assertThatThrownBy(() -> a.compareTo(b)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different clocks");
        assertThat(BeatDeadline.after(Duration.ofSeconds(1)).compareTo(BeatDeadline.after(Duration.ofSeconds(2))))
                .isNegative(); // both on the one system clock
    }

    @Test
    void runWithinRunsOnTheExecutorItIsGiven() throws Exception {
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "my-worker"));
        try {
            BeatDeadline d = BeatDeadline.after(Duration.ofSeconds(5));
            assertThat(d.runWithin(mine, () -> Thread.currentThread().getName())).isEqualTo("my-worker");
            mine.shutdown();
            assertThatThrownBy(() -> d.runWithin(mine, () -> 1)).isInstanceOf(RejectedExecutionException.class);
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void aStandaloneDeadlineRunsEachCallOnAThreadOfItsOwn() {
        BeatDeadline d = BeatDeadline.after(Duration.ofSeconds(5));
        String name = d.runWithin(() -> Thread.currentThread().getName());
        assertThat(name).startsWith("backbeat-deadline-");
        assertThat(d.share(0.5).runWithin(() -> Thread.currentThread().isDaemon())).isTrue();
    }
}
