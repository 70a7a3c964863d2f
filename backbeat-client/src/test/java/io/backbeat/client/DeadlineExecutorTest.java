package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.EpochNanos;
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
        volatile Consumer<byte[]> sink;

        @Override public void subscribeBeats(String clusterId, Consumer<byte[]> s) { sink = s; }
        @Override public CompletableFuture<byte[]> requestTimeline(String clusterId, Duration timeout) {
            return CompletableFuture.failedFuture(new TimeoutException("no pulse"));
        }
        @Override public void publishStatus(String clusterId, byte[] claim) { }
        @Override public boolean isConnected() { return true; }
        @Override public void close() { }

        /** Publishes the frame of the phase under way now on a 60 BPM grid. */
        void publishCurrentPhase(String cluster) {
            Timeline grid = Timeline.of(TimelineDescriptor.initial(cluster, 0, 60, 4, List.of("plan", "execute", "review")));
            BeatFrame f = BeatFrame.at(grid, grid.positionAt(EpochNanos.of(Instant.now())),
                    HybridLogicalClock.builder("feed").build().now().toString(), "p1", 1);
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
            outcomes.add(ctx.deadline().runWithin(() -> Thread.currentThread().getName()));
        }
    }

    @Test
    void theClientOwnsItsDeadlineWorkersAndShutsThemDownOnClose() {
        FrameFeed feed = new FrameFeed();
        Runner runner = new Runner();
        BeatClient client = BeatClient.builder("deadline-own").transport(feed).callbackExecutor(Runnable::run)
                .grace(Duration.ofSeconds(30)).build();
        client.addListener(runner);
        feed.publishCurrentPhase("deadline-own");
        assertThat(runner.outcomes).hasSize(1);
        assertThat((String) runner.outcomes.get(0)).startsWith("backbeat-deadline-");
        client.close();
        BeatDeadline later = runner.deadline.minus(Duration.ofSeconds(-1)); // 1 s later, still the client's executor
        assertThatThrownBy(() -> later.runWithin(() -> 1)).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void anExecutorPassedInIsUsedAndLeftRunning() {
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
