package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.hlc.HybridLogicalClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the work of {@code ctx.deadline().runWithin(...)} runs, and who shuts it down. */
class DeadlineExecutorTest {

    /** A transport that only hands frames to the client: no pulse answers timeline requests. */
    static final class FrameFeed implements BeatTransport {
        static final long MIN_LEFT_NANOS = 200_000_000L;
        volatile Consumer<byte[]> sink;

        @Override public void subscribeBeats(String clusterId, Consumer<byte[]> s) { sink = s; }
        @Override public CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout) {
            return CompletableFuture.failedFuture(new TimeoutException("no pulse"));
        }
        @Override public void publishStatus(String clusterId, byte[] claim) { }
        @Override public boolean isConnected() { return true; }
        @Override public void close() { }

        /**
         * Publishes the frame of the phase under way on a 60 BPM grid (phases of 333 ms), once that
         * phase has at least 200 ms left: published at any instant, the phase could end before the
         * callback hands its work over (the deadline expired, the work never ran: the flaky failure
         * "recorded no thread name").
         */
        void publishCurrentPhase(String cluster) throws InterruptedException {
            Timeline grid = Timeline.of(TimelineDescriptor.initial(cluster, 0, 60, 4, List.of("plan", "execute", "review")));
            GridPosition pos = grid.positionAt(EpochNanos.of(Instant.now()));
            long left = pos.deadlineNanos() - EpochNanos.of(Instant.now());
            if (left < MIN_LEFT_NANOS) {
                Thread.sleep(left / 1_000_000 + 1); // into the next phase, 333 ms long
                pos = grid.positionAt(EpochNanos.of(Instant.now()));
            }
            BeatFrame f = BeatFrame.at(grid, pos, HybridLogicalClock.builder("feed").build().now().toString(), "p1", 1);
            sink.accept(BackbeatCodec.encodeFrame(f));
        }
    }

    /** Runs the work of one phase callback through its deadline, recording where it ran. */
    static final class Runner implements BeatListener {
        final List<Object> outcomes = new CopyOnWriteArrayList<>();
        volatile BeatDeadline deadline;

        @Override
        public void onPhase(BeatContext ctx) {
            deadline = ctx.deadline();
            try {
                outcomes.add(ctx.deadline().runWithin(() -> Thread.currentThread().getName()));
            } catch (RuntimeException e) { // recorded, so a failure says why the work did not run
                outcomes.add(e);
            }
        }
    }

    @Test
    void theClientOwnsItsDeadlineWorkersAndShutsThemDownOnClose() throws Exception {
        FrameFeed feed = new FrameFeed();
        Runner runner = new Runner();
        BeatClient client = BeatClient.builder("deadline-own").transport(feed).callbackExecutor(Runnable::run)
                .grace(Duration.ofSeconds(30)).build();
        client.addListener(runner);
        feed.publishCurrentPhase("deadline-own");
        assertThat(runner.outcomes).hasSize(1);
        assertThat(runner.outcomes.get(0)).isInstanceOf(String.class).asString().startsWith("backbeat-deadline-");
        client.close();
        BeatDeadline later = runner.deadline.minus(Duration.ofSeconds(-1)); // 1 s later, still the client's executor
        assertThatThrownBy(() -> later.runWithin(() -> 1)).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void anExecutorPassedInIsUsedAndLeftRunning() throws Exception {
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-worker"));
        try {
            FrameFeed feed = new FrameFeed();
            Runner runner = new Runner();
            try (BeatClient client = BeatClient.builder("deadline-app").transport(feed).callbackExecutor(Runnable::run)
                    .deadlineExecutor(mine).grace(Duration.ofSeconds(30)).build()) {
                client.addListener(runner);
                feed.publishCurrentPhase("deadline-app");
            }
            assertThat(runner.outcomes).containsExactly("app-worker");
            assertThat(mine.isShutdown()).isFalse();
        } finally {
            mine.shutdownNow();
        }
    }
}
