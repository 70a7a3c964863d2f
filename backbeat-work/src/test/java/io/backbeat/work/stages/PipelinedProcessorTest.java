package io.backbeat.work.stages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.backbeat.work.OfferResult;
import io.backbeat.work.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class PipelinedProcessorTest {

    /** A payload that records the stages it went through. */
    record Trail(long beat, List<String> stages) {
        Trail then(String stage) {
            List<String> next = new ArrayList<>(stages);
            next.add(stage);
            return new Trail(beat, List.copyOf(next));
        }
    }

    private static PipelinedProcessor.Builder<Trail> threeStages(List<Trail> done) {
        return PipelinedProcessor.<Trail>builder()
                .stage("plan", (beat, t) -> t.then("plan@" + Thread.currentThread().getName()))
                .stage("execute", (beat, t) -> t.then("execute@" + Thread.currentThread().getName()))
                .stage("review", (beat, t) -> t.then("review@" + Thread.currentThread().getName()))
                .onComplete((beat, t) -> {
                    done.add(t);
                    return t;
                });
    }

    @Test
    void itemsMovePlanExecuteReviewInSubmissionOrderOnNamedDaemonThreads() {
        List<Trail> done = Collections.synchronizedList(new ArrayList<>());
        try (PipelinedProcessor<Trail> p = threeStages(done).threadNamePrefix("bb-test").build()) {
            assertThat(p.phases()).containsExactly("plan", "execute", "review");
            for (long beat = 0; beat < 1_000; beat++) {
                assertThat(p.submit(beat, new Trail(beat, List.of()))).isEqualTo(OfferResult.ACCEPTED);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> done.size() == 1_000);
            for (int i = 0; i < 1_000; i++) {
                Trail t = done.get(i);
                assertThat(t.beat()).isEqualTo(i);
                assertThat(t.stages()).containsExactly("plan@bb-test-plan", "execute@bb-test-execute",
                        "review@bb-test-review");
            }
            List<StageStats> stats = p.stats();
            assertThat(stats).extracting(StageStats::phase).containsExactly("plan", "execute", "review");
            assertThat(stats).allSatisfy(s -> {
                assertThat(s.processed()).isEqualTo(1_000);
                assertThat(s.failed()).isZero();
                assertThat(s.queue().drained()).isEqualTo(1_000);
                assertThat(s.queue().depth()).isZero();
            });
            Thread worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("bb-test-execute")).findFirst().orElseThrow();
            assertThat(worker.isDaemon()).isTrue();
        }
    }

    @Test
    void stagesOverlapAcrossBeats() throws Exception {
        CountDownLatch executing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Map<Long, String> planned = new ConcurrentHashMap<>();
        List<Long> reviewed = Collections.synchronizedList(new ArrayList<>());
        try (PipelinedProcessor<String> p = PipelinedProcessor.<String>builder()
                .stage("plan", (beat, s) -> {
                    planned.put(beat, s);
                    return s;
                })
                .stage("execute", (beat, s) -> {
                    if (beat == 0) {
                        executing.countDown();
                        release.await(10, TimeUnit.SECONDS);
                    }
                    return s;
                })
                .stage("review", (beat, s) -> {
                    reviewed.add(beat);
                    return s;
                })
                .build()) {
            assertThat(p.submit(0, "a")).isEqualTo(OfferResult.ACCEPTED);
            assertThat(executing.await(10, TimeUnit.SECONDS)).isTrue();
            // beat 0 is stuck in execute; beat 1 is still planned meanwhile
            assertThat(p.submit(1, "b")).isEqualTo(OfferResult.ACCEPTED);
            await().atMost(Duration.ofSeconds(10)).until(() -> planned.containsKey(1L));
            assertThat(reviewed).isEmpty();
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> reviewed.size() == 2);
            assertThat(reviewed).containsExactly(0L, 1L);
        }
    }

    @Test
    void submitAtANamedPhaseSkipsEarlierStages() {
        List<Trail> done = Collections.synchronizedList(new ArrayList<>());
        try (PipelinedProcessor<Trail> p = threeStages(done).build()) {
            assertThat(p.submit(7, "review", new Trail(7, List.of()))).isEqualTo(OfferResult.ACCEPTED);
            await().atMost(Duration.ofSeconds(10)).until(() -> done.size() == 1);
            assertThat(done.get(0).stages()).hasSize(1).allMatch(s -> s.startsWith("review@"));
            assertThatThrownBy(() -> p.submit(7, "nope", new Trail(7, List.of())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plan");
        }
    }

    @Test
    void failuresAndNullResultsAreCountedAndTheWorkerKeepsGoing() {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Long> done = Collections.synchronizedList(new ArrayList<>());
        try (PipelinedProcessor<Long> p = PipelinedProcessor.<Long>builder()
                .stage("plan", (beat, v) -> {
                    if (v % 5 == 0) {
                        throw new IllegalStateException("bad " + v);
                    }
                    return v;
                })
                .stage("execute", (beat, v) -> v % 2 == 0 ? null : v)
                .onComplete((beat, v) -> {
                    done.add(v);
                    return v;
                })
                .onFailure((phase, beat, v, e) -> failures.add(phase + ":" + v + ":" + e.getMessage()))
                .build()) {
            for (long i = 0; i < 20; i++) {
                assertThat(p.submit(i, i).accepted()).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().get(1).queue().drained() == 16);
            assertThat(failures).containsExactly("plan:0:bad 0", "plan:5:bad 5", "plan:10:bad 10", "plan:15:bad 15");
            assertThat(p.stats().get(0).failed()).isEqualTo(4);
            assertThat(p.stats().get(0).processed()).isEqualTo(16);
            assertThat(p.stats().get(1).filtered()).isEqualTo(8);
            await().atMost(Duration.ofSeconds(10)).until(() -> done.size() == 8);
            assertThat(done).containsExactly(1L, 3L, 7L, 9L, 11L, 13L, 17L, 19L);
        }
    }

    @Test
    void fullQueueIsVisibleToTheSubmitter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> dropped = Collections.synchronizedList(new ArrayList<>());
        try (PipelinedProcessor<Long> p = PipelinedProcessor.<Long>builder()
                .stage("plan", (beat, v) -> {
                    release.await(10, TimeUnit.SECONDS);
                    return v;
                })
                .queues(2, OverflowPolicy.REJECT, null)
                .onDrop((phase, beat, v, e) -> dropped.add(v))
                .build()) {
            assertThat(p.submit(0, 0L)).isEqualTo(OfferResult.ACCEPTED);
            await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().get(0).queue().depth() == 0);
            assertThat(p.submit(1, 1L)).isEqualTo(OfferResult.ACCEPTED);
            assertThat(p.submit(2, 2L)).isEqualTo(OfferResult.ACCEPTED);
            assertThat(p.submit(3, 3L)).isEqualTo(OfferResult.REJECTED);
            assertThat(p.stats().get(0).queue().rejected()).isEqualTo(1);
            release.countDown();
        }
        assertThat(dropped).isEmpty(); // REJECT hands nothing to the drop handler: the caller kept it
    }

    @Test
    void gracefulShutdownDrainsEveryStageThenRefusesWork() {
        List<Trail> done = Collections.synchronizedList(new ArrayList<>());
        PipelinedProcessor<Trail> p = PipelinedProcessor.<Trail>builder()
                .stage("plan", (beat, t) -> {
                    Thread.sleep(1);
                    return t.then("plan");
                })
                .stage("execute", (beat, t) -> t.then("execute"))
                .stage("review", (beat, t) -> t.then("review"))
                .onComplete((beat, t) -> {
                    done.add(t);
                    return t;
                })
                .queues(500, OverflowPolicy.REJECT, null)
                .threadNamePrefix("bb-shutdown")
                .build();
        for (long beat = 0; beat < 200; beat++) {
            assertThat(p.submit(beat, new Trail(beat, List.of()))).isEqualTo(OfferResult.ACCEPTED);
        }
        assertThat(p.shutdown(Duration.ofSeconds(20))).isTrue();
        assertThat(done).hasSize(200);
        assertThat(p.submit(999, new Trail(999, List.of()))).isEqualTo(OfferResult.CLOSED);
        assertThat(p.shutdown(Duration.ZERO)).isTrue(); // idempotent
        p.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("bb-shutdown"));
    }

    /** Issue #14: close() lets 500 queued items through every stage when the drain timeout allows it. */
    @Test
    void closeDrainsFiveHundredQueuedItems() {
        List<Long> done = Collections.synchronizedList(new ArrayList<>());
        List<Long> dropped = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch gate = new CountDownLatch(1);
        PipelinedProcessor<Long> p = PipelinedProcessor.<Long>builder()
                .stage("plan", (beat, v) -> {
                    gate.await(); // holds the first item until everything is queued
                    return v;
                })
                .stage("execute", (beat, v) -> {
                    TimeUnit.MICROSECONDS.sleep(200);
                    return v;
                })
                .stage("review", (beat, v) -> v)
                .onComplete((beat, v) -> {
                    done.add(v);
                    return v;
                })
                .queues(512, OverflowPolicy.REJECT, null)
                .onDrop((phase, beat, v, e) -> dropped.add(v))
                .drainTimeout(Duration.ofSeconds(20))
                .threadNamePrefix("bb-drain500")
                .build();
        for (long i = 0; i < 500; i++) {
            assertThat(p.submit(i, i)).isEqualTo(OfferResult.ACCEPTED);
        }
        assertThat(p.stats().get(0).queue().depth()).isGreaterThanOrEqualTo(499); // queued, not yet processed
        gate.countDown();
        p.close();
        assertThat(done).hasSize(500);
        assertThat(dropped).isEmpty();
        assertThat(p.unfinishedAtShutdown()).isZero();
        assertThat(p.submit(500, 500L)).isEqualTo(OfferResult.CLOSED);
    }

    @Test
    void closeCountsWhatTheDrainTimeoutLeftUnfinished() {
        List<Long> dropped = Collections.synchronizedList(new ArrayList<>());
        List<Long> failed = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch started = new CountDownLatch(1);
        PipelinedProcessor<Long> p = PipelinedProcessor.<Long>builder()
                .stage("plan", (beat, v) -> v)
                .stage("execute", (beat, v) -> {
                    started.countDown();
                    Thread.sleep(60_000); // never finishes on its own
                    return v;
                })
                .queues(64, OverflowPolicy.REJECT, null)
                .onFailure((phase, beat, v, e) -> failed.add(v))
                .onDrop((phase, beat, v, e) -> dropped.add(v))
                .drainTimeout(Duration.ofMillis(200))
                .threadNamePrefix("bb-unfinished")
                .build();
        for (long i = 0; i < 10; i++) {
            assertThat(p.submit(i, i)).isEqualTo(OfferResult.ACCEPTED);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> started.getCount() == 0
                && p.stats().get(0).queue().depth() == 0);
        p.close();
        // item 0 was cut short by the interrupt, 1..9 were still queued at "execute"
        assertThat(p.unfinishedAtShutdown()).isEqualTo(10);
        assertThat(failed).containsExactly(0L);
        assertThat(dropped).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    }

    @Test
    void shutdownTimeoutInterruptsStuckWorkersAndHandsLeftoversToTheDropHandler() {
        List<String> dropped = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch stuck = new CountDownLatch(1);
        PipelinedProcessor<Long> p = PipelinedProcessor.<Long>builder()
                .stage("plan", (beat, v) -> {
                    stuck.countDown();
                    Thread.sleep(60_000);
                    return v;
                })
                .stage("review", (beat, v) -> v)
                .queues(16, OverflowPolicy.REJECT, null)
                .onFailure((phase, beat, v, e) -> dropped.add("failed:" + v))
                .onDrop((phase, beat, v, e) -> dropped.add(phase + ":" + v))
                .threadNamePrefix("bb-stuck")
                .build();
        for (long i = 0; i < 4; i++) {
            assertThat(p.submit(i, i).accepted()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> stuck.getCount() == 0);
        long t0 = System.nanoTime();
        assertThat(p.shutdown(Duration.ofMillis(200))).isFalse();
        assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(5).toNanos());
        assertThat(dropped).containsExactlyInAnyOrder("failed:0", "plan:1", "plan:2", "plan:3");
        await().atMost(Duration.ofSeconds(5)).until(() ->
                Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("bb-stuck")));
    }

    @Test
    void builderRefusesBadConfiguration() {
        assertThatThrownBy(() -> PipelinedProcessor.<String>builder().build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> PipelinedProcessor.<String>builder().stage("a", (b, s) -> s).stage("a", (b, s) -> s))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> PipelinedProcessor.<String>builder().queues(8, OverflowPolicy.BLOCK, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PipelinedProcessor.<String>builder().queues(8, OverflowPolicy.REJECT, Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PipelinedProcessor.<String>builder().queues(0, OverflowPolicy.REJECT, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
