package io.backbeat.hlc;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HybridLogicalClockTest {

    @Test
    void nowIsStrictlyIncreasingAndUniqueAcrossThreads() throws Exception {
        AtomicLong pt = new AtomicLong(1_757_000_000_000L);
        // a physical clock that moves forward, stalls and jumps back under the threads' feet
        HybridLogicalClock clock = HybridLogicalClock.builder("n").physicalClock(() -> {
            long v = pt.incrementAndGet() / 7;
            return (v % 50 == 0) ? v - 300 : v;
        }).build();
        int threads = 4;
        int perThread = 50_000;
        long[][] seen = new long[threads][perThread];
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    seen[id][i] = clock.nowPacked();
                }
            });
            ts[t].start();
        }
        go.countDown();
        for (Thread t : ts) {
            t.join();
        }
        Set<Long> all = new HashSet<>();
        for (long[] s : seen) {
            for (int i = 0; i < s.length; i++) {
                if (i > 0) {
                    assertThat(s[i]).isGreaterThan(s[i - 1]);
                }
                all.add(s[i]);
            }
        }
        assertThat(all).hasSize(threads * perThread);
    }

    @Test
    void updateThenNowIsAfterRemote() {
        Random rnd = new Random(42);
        AtomicLong pt = new AtomicLong(1_000_000);
        HybridLogicalClock clock = HybridLogicalClock.builder("local").physicalClock(pt::get).build();
        for (int i = 0; i < 10_000; i++) {
            pt.addAndGet(rnd.nextInt(5) - 1); // sometimes backwards
            HlcTimestamp remote = new HlcTimestamp(pt.get() + rnd.nextInt(400) - 200, rnd.nextInt(0x10000),
                    rnd.nextInt(0x10000));
            HlcTimestamp merged = clock.update(remote);
            assertThat(merged.pack()).isGreaterThan(remote.pack());
            assertThat(clock.now()).isGreaterThan(remote);
        }
    }

    @Test
    void logicalOverflowAdvancesWallInsteadOfWrapping() {
        HybridLogicalClock clock = HybridLogicalClock.builder("n").physicalClock(() -> 100)
                .initialState(100, 0xfffe).build();
        assertThat(clock.now()).extracting(HlcTimestamp::wallMs, HlcTimestamp::logical).containsExactly(100L, 0xffff);
        assertThat(clock.now()).extracting(HlcTimestamp::wallMs, HlcTimestamp::logical).containsExactly(101L, 0);
        HybridLogicalClock merging = HybridLogicalClock.builder("n").physicalClock(() -> 100)
                .initialState(100, 3).build();
        HlcTimestamp r = merging.update(new HlcTimestamp(100, 0xffff, 1));
        assertThat(r).extracting(HlcTimestamp::wallMs, HlcTimestamp::logical).containsExactly(101L, 0);
    }

    @Test
    void backwardPhysicalJumpNeverMovesNowBackwards() {
        AtomicLong pt = new AtomicLong(5_000);
        HybridLogicalClock clock = HybridLogicalClock.builder("n").physicalClock(pt::get).build();
        HlcTimestamp before = clock.now();
        pt.set(1_000); // NTP step back by 4 s
        HlcTimestamp after = clock.now();
        assertThat(after).isGreaterThan(before);
        assertThat(after.wallMs()).isEqualTo(5_000);
    }

    @Test
    void remoteTooFarAheadIsRejectedCountedAndNotMerged() {
        HybridLogicalClock clock = HybridLogicalClock.builder("n").physicalClock(() -> 10_000)
                .maxOffset(Duration.ofMillis(500)).build();
        HlcTimestamp before = clock.now();
        HlcTimestamp far = new HlcTimestamp(10_501, 0, 7);
        assertThatThrownBy(() -> clock.update(far)).isInstanceOf(HlcOffsetException.class)
                .hasMessageContaining("501 ms ahead");
        assertThat(clock.tryUpdate(far)).isFalse();
        assertThat(clock.rejectedCount()).isEqualTo(2);
        assertThat(clock.peek()).isEqualTo(before);
        assertThat(clock.tryUpdate(new HlcTimestamp(10_500, 0, 7))).isTrue();
        assertThat(clock.peek().wallMs()).isEqualTo(10_500);
    }

    @Test
    void textRoundTripsOfRandomTimestamps() {
        Random rnd = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            HlcTimestamp t = new HlcTimestamp(rnd.nextLong() >>> 16, rnd.nextInt(0x10000), rnd.nextInt(0x10000));
            assertThat(HlcTimestamp.parse(t.toString())).isEqualTo(t);
            assertThat(HlcTimestamp.parse(t.toString().toUpperCase())).isEqualTo(t);
        }
    }
}
