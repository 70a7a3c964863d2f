package io.backbeat.examples;

import io.backbeat.api.ClaimState;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.DeadlineExceededException;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * The tempo guide's single-threaded processor: one listener does each phase's work inline, within
 * the phase deadline, and reports the outcome. Prints one line per callback:
 * {@code beat=<index> phase=<name> degraded=<bool> term=<n> ...}.
 */
public final class SingleThreadedExample implements BeatListener {
    private final PrintStream out;

    SingleThreadedExample(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onPhase(BeatContext ctx) {
        out.printf("beat=%d phase=%s degraded=%s term=%d tempo=%s leader=%s window=%s remaining_ms=%d%n",
                ctx.beatIndex(), ctx.phase(), ctx.degraded(), ctx.term(), ctx.tempoBpm(),
                ctx.leaderId().isEmpty() ? "-" : ctx.leaderId(), ctx.windowId(),
                ctx.deadline().timeRemaining().toMillis());
        try {
            // the "work": a tenth of the phase, never past the deadline
            ctx.deadline().runWithin(() -> sleep(ctx.deadline().timeRemaining().toMillis() / 10));
            ctx.countTasks(1);
            ctx.report(ClaimState.COMPLETED, null);
        } catch (DeadlineExceededException e) {
            ctx.report(ClaimState.LATE, e.getMessage());
        }
    }

    @Override
    public void onDegraded(String reason) {
        out.println("event=degraded reason=\"" + reason + "\"");
    }

    @Override
    public void onRecovered(Duration correction) {
        out.println("event=recovered correction_ns=" + correction.toNanos());
    }

    @Override
    public void onLeaderChange(String leaderId, long term) {
        out.println("event=leader leader=" + leaderId + " term=" + term);
    }

    @Override
    public void onTempoChange(double oldBpm, double newBpm) {
        out.println("event=tempo old_bpm=" + oldBpm + " new_bpm=" + newBpm);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(Math.max(0, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code single --nats URL --cluster ID [--duration 30s] [--agent ID]}. */
    public static int run(String[] args, PrintStream out) throws InterruptedException {
        Args a = new Args(args, new HashSet<>(ExampleRuntime.COMMON));
        try (BeatClient client = ExampleRuntime.connect(a, "single-example")) {
            client.addListener(new SingleThreadedExample(out));
            ExampleRuntime.runFor(a, out);
        }
        return 0;
    }

}
