package io.backbeat.client.internal;

import io.backbeat.api.ClaimState;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatDeadline;
import io.backbeat.client.BeatListener;
import io.backbeat.client.BusyPolicy;
import io.backbeat.api.BeatClock;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pure tests of one listener's lane: a manual executor runs queued tasks only when the test says
 * so, so "busy" is deterministic. No threads, no NATS.
 */
class ListenerSlotTest {

    /** Runs submitted tasks only on {@link #runAll()}. */
    static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }
    }

    record Ctx(long beatIndex, int phaseIndex, String phase, boolean downbeat) implements BeatContext {
        static Ctx of(long beat, int phaseIndex) {
            return new Ctx(beat, phaseIndex, List.of("plan", "execute", "review").get(phaseIndex), beat % 4 == 0);
        }

        @Override public String windowId() { return "w"; }
        @Override public String hlc() { return "000000000000:0000:0000"; }
        @Override public double tempoBpm() { return 120; }
        @Override public long term() { return 1; }
        @Override public String leaderId() { return "l"; }
        @Override public boolean degraded() { return false; }
        @Override public Instant phaseStart() { return Instant.EPOCH; }
        @Override public Instant deadlineAt() { return Instant.EPOCH; }
        @Override public BeatDeadline deadline() { return BeatDeadline.at(BeatClock.system(), System.nanoTime() + 1_000_000_000L); }
        @Override public void countTasks(int n) { }
        @Override public void report(ClaimState state, String detail) { }
        @Override public int beatsPerBar() { return 4; }
    }

    final ManualExecutor exec = new ManualExecutor();
    final LongAdder errors = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final List<String> seen = new ArrayList<>();

    ListenerSlot slot(BusyPolicy policy, BeatListener l) {
        return new ListenerSlot(l, exec, policy, errors, skipped, new PhaseTimings());
    }

    final BeatListener recorder = new BeatListener() {
        @Override
        public void onPlan(BeatContext c) { seen.add(c.beatIndex() + ":plan"); }
        @Override
        public void onExecute(BeatContext c) { seen.add(c.beatIndex() + ":execute"); }
        @Override
        public void onReview(BeatContext c) { seen.add(c.beatIndex() + ":review"); }
        @Override
        public void onDownbeat(BeatContext c) { seen.add(c.beatIndex() + ":downbeat"); }
    };

    @Test
    void skipDropsPhasesOfferedWhileBusyAndCountsThem() {
        ListenerSlot s = slot(BusyPolicy.SKIP, recorder);
        s.offerPhase(Ctx.of(1, 0));   // lane starts (task queued, "running")
        s.offerPhase(Ctx.of(1, 1));   // busy -> skipped
        s.offerPhase(Ctx.of(1, 2));   // busy -> skipped
        exec.runAll();
        s.offerPhase(Ctx.of(2, 0));
        exec.runAll();
        assertThat(seen).containsExactly("1:plan", "2:plan");
        assertThat(skipped.sum()).isEqualTo(2);
    }

    @Test
    void queueOneKeepsOnlyTheLatestPendingWhileTheCallbackRuns() {
        ListenerSlot[] self = new ListenerSlot[1];
        self[0] = slot(BusyPolicy.QUEUE_ONE, new BeatListener() {
            @Override
            public void onPhase(BeatContext c) {
                seen.add(c.beatIndex() + ":" + c.phase());
                if (c.phaseIndex() == 0) { // the next two phases arrive while this callback runs
                    self[0].offerPhase(Ctx.of(1, 1));
                    self[0].offerPhase(Ctx.of(1, 2));
                }
            }
        });
        self[0].offerPhase(Ctx.of(1, 0));
        exec.runAll();
        assertThat(seen).containsExactly("1:plan", "1:review");
        assertThat(skipped.sum()).isEqualTo(1);
    }

    @Test
    void queueOneReplacesAPhaseNotYetStartedByTheExecutor() {
        ListenerSlot s = slot(BusyPolicy.QUEUE_ONE, recorder);
        s.offerPhase(Ctx.of(1, 0));   // queued on the executor, not started
        s.offerPhase(Ctx.of(1, 1));   // replaces it, counted
        s.offerPhase(Ctx.of(1, 2));   // replaces again, counted
        exec.runAll();
        assertThat(seen).containsExactly("1:review");
        assertThat(skipped.sum()).isEqualTo(2);
    }

    @Test
    void neverTwiceNeverBackwardsWhateverIsOffered() {
        ListenerSlot s = slot(BusyPolicy.QUEUE_ONE, recorder);
        long[][] offers = {{1, 1}, {1, 1}, {1, 0}, {0, 2}, {1, 2}, {2, 0}, {1, 2}, {2, 0}};
        for (long[] o : offers) {
            s.offerPhase(Ctx.of(o[0], (int) o[1]));
            exec.runAll();
        }
        assertThat(seen).containsExactly("1:execute", "1:review", "2:plan");
    }

    @Test
    void aThrowingListenerIsCountedAndKeepsReceivingNoticesIncluded() {
        List<String> got = new ArrayList<>();
        ListenerSlot s = slot(BusyPolicy.SKIP, new BeatListener() {
            @Override
            public void onPhase(BeatContext c) {
                got.add("phase " + c.beatIndex());
                throw new IllegalStateException("boom");
            }

            @Override
            public void onLeaderChange(String leaderId, long term) {
                got.add("leader " + leaderId + " " + term);
                throw new IllegalStateException("boom");
            }
        });
        s.offerPhase(Ctx.of(1, 0));
        s.offerNotice(l -> l.onLeaderChange("b", 2)); // queued while busy: notices are never dropped
        exec.runAll();
        s.offerPhase(Ctx.of(2, 0));
        exec.runAll();
        assertThat(got).containsExactly("leader b 2", "phase 1", "phase 2");
        assertThat(errors.sum()).isEqualTo(3);
    }

    @Test
    void downbeatPrecedesTheFirstPhaseOfABar() {
        ListenerSlot s = slot(BusyPolicy.SKIP, recorder);
        s.offerPhase(Ctx.of(4, 0));
        exec.runAll();
        s.offerPhase(Ctx.of(4, 1));
        exec.runAll();
        assertThat(seen).containsExactly("4:downbeat", "4:plan", "4:execute");
    }

    @Test
    void removedSlotGetsNothingMore() {
        ListenerSlot s = slot(BusyPolicy.SKIP, recorder);
        s.offerPhase(Ctx.of(1, 0));
        exec.runAll();
        s.remove();
        s.offerPhase(Ctx.of(1, 1));
        s.offerNotice(l -> seen.add("notice"));
        exec.runAll();
        assertThat(seen).containsExactly("1:plan");
        assertThat(exec.tasks).isEmpty();
    }
}
