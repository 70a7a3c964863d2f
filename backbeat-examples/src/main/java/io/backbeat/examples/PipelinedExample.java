package io.backbeat.examples;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.work.OverflowPolicy;
import io.backbeat.work.stages.PipelinedProcessor;
import io.backbeat.work.stages.StageStats;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;

/**
 * The tempo guide's pipelined processor, for high tempos: every beat's work item passes a plan, an
 * execute and a review stage, each on its own worker, joined by bounded queues. The phase
 * callbacks only feed the pipeline, so a slow stage never holds up the beat.
 */
public final class PipelinedExample {
    private PipelinedExample() {
    }

    /** {@code pipelined --nats URL --cluster ID [--duration 30s]}. */
    public static int run(String[] args, PrintStream out) throws InterruptedException {
        Args a = new Args(args, new HashSet<>(ExampleRuntime.COMMON));
        try (PipelinedProcessor<String> pipeline = PipelinedProcessor.<String>builder()
                .stage("plan", (beat, item) -> item + " planned")
                .stage("execute", (beat, item) -> {
                    Thread.sleep(2);
                    return item + ", executed";
                })
                .stage("review", (beat, item) -> item + ", reviewed")
                .onComplete((beat, item) -> {
                    out.println("beat=" + beat + " done=\"" + item + "\"");
                    return null;
                })
                .queues(64, OverflowPolicy.DROP_OLDEST, null)
                .build();
             BeatClient client = ExampleRuntime.connect(a, "pipelined-example")) {
            client.addListener(new BeatListener() {
                @Override
                public void onPhase(BeatContext ctx) {
                    out.printf("beat=%d phase=%s degraded=%s term=%d%n", ctx.beatIndex(), ctx.phase(), ctx.degraded(),
                            ctx.term());
                    if (ctx.phaseIndex() == 0) {
                        pipeline.submit(ctx.beatIndex(), "item-" + ctx.beatIndex());
                    }
                }
            });
            ExampleRuntime.runFor(a, out);
            for (StageStats s : pipeline.stats()) {
                out.println("stage=" + s.phase() + " processed=" + s.processed() + " failed=" + s.failed());
            }
        }
        return 0;
    }
}
