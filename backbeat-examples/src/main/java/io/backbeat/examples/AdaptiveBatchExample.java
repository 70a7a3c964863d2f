package io.backbeat.examples;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.work.AdaptiveBatcher;
import io.backbeat.work.BoundedWorkQueue;
import io.backbeat.work.OfferResult;
import io.backbeat.work.OverflowPolicy;
import io.backbeat.work.PhaseResult;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An adaptive batch worker: a producer fills a bounded queue; in every {@code execute} phase the
 * batcher learns the per-item cost and takes as many items as fit in 80% of the time left.
 * Prints one line per phase with the items done and whether it finished in time.
 */
public final class AdaptiveBatchExample {
    private AdaptiveBatchExample() {
    }

    /** {@code batch --nats URL --cluster ID [--duration 30s] [--item-cost 2ms] [--rate 500]}. */
    public static int run(String[] args, PrintStream out) throws InterruptedException {
        Set<String> known = new HashSet<>(ExampleRuntime.COMMON);
        known.add("item-cost");
        known.add("rate");
        Args a = new Args(args, known);
        Duration cost = a.duration("item-cost", Duration.ofMillis(2));
        int rate = a.intValue("rate", 500);
        BoundedWorkQueue<Long> queue = BoundedWorkQueue.<Long>builder(10_000, OverflowPolicy.REJECT).name("batch-input")
                .build();
        AdaptiveBatcher<Long> batcher = AdaptiveBatcher.<Long>builder().targetShare(0.8)
                .safetyMargin(Duration.ofMillis(5)).build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong rejected = new AtomicLong();
        Thread producer = new Thread(() -> {
            long i = 0;
            long period = 1_000_000_000L / Math.max(1, rate);
            long next = System.nanoTime();
            while (running.get()) {
                if (queue.offer(i++) != OfferResult.ACCEPTED) {
                    rejected.incrementAndGet();
                }
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
        }, "batch-example-producer");
        producer.setDaemon(true);
        producer.start();
        try (BeatClient client = ExampleRuntime.connect(a, "batch-example")) {
            client.addListener(new BeatListener() {
                @Override
                public void onExecute(BeatContext ctx) {
                    PhaseResult r = batcher.runPhase(ctx.deadline().nanoTime(), queue, item -> busy(cost));
                    ctx.countTasks(r.processed());
                    out.printf("beat=%d phase=%s degraded=%s term=%d processed=%d batches=%d in_time=%s "
                                    + "est_cost_us=%d queue_depth=%d rejected=%d%n",
                            ctx.beatIndex(), ctx.phase(), ctx.degraded(), ctx.term(), r.processed(), r.batches(),
                            r.finishedInTime(), r.estimatedCost().toNanos() / 1000, queue.size(), rejected.get());
                }
            });
            ExampleRuntime.runFor(a, out);
        } finally {
            running.set(false);
        }
        out.println("batcher " + batcher.stats());
        return 0;
    }

    private static void busy(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    }
}
