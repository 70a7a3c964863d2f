package io.backbeat.examples;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.ClientStats;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * A one-line live view of the beat, updated in place: beat, phase, tempo, leader, term, degraded.
 * {@code --plain true} prints one line per phase instead (for logs and tests).
 */
public final class WatchCommand {
    private WatchCommand() {
    }

    /** {@code watch --nats URL --cluster ID [--duration 30s] [--plain true]}. */
    public static int run(String[] args, PrintStream out) throws InterruptedException {
        Set<String> known = new HashSet<>(ExampleRuntime.COMMON);
        known.add("plain");
        Args a = new Args(args, known);
        boolean plain = Boolean.parseBoolean(a.get("plain", "false"));
        try (BeatClient client = ExampleRuntime.connect(a, "watch")) {
            client.addListener(new BeatListener() {
                private String lastEvent = "";

                @Override
                public void onPhase(BeatContext ctx) {
                    ClientStats st = client.stats();
                    String bar = ctx.downbeat() && ctx.phaseIndex() == 0 ? "|" : " ";
                    String line = String.format("%s beat=%-6d phase=%-8s tempo=%6.2f bpm  leader=%-10s term=%-3d %s"
                                    + "  drops=%d %s",
                            bar, ctx.beatIndex(), ctx.phase(), ctx.tempoBpm(),
                            ctx.leaderId().isEmpty() ? "-" : ctx.leaderId(), ctx.term(),
                            ctx.degraded() ? "DEGRADED (local grid)" : "live                 ", st.droppedTotal(),
                            lastEvent);
                    if (plain) {
                        out.println(line.trim());
                    } else {
                        out.print("\r\033[2K" + line);
                    }
                    out.flush();
                }

                @Override
                public void onDegraded(String reason) {
                    lastEvent = "[pulse silent]";
                }

                @Override
                public void onRecovered(Duration correction) {
                    lastEvent = "[recovered, correction " + correction.toNanos() / 1000 + " us]";
                }

                @Override
                public void onLeaderChange(String leaderId, long term) {
                    lastEvent = "[new leader " + leaderId + " term " + term + "]";
                }

                @Override
                public void onTempoChange(double oldBpm, double newBpm) {
                    lastEvent = "[tempo " + oldBpm + " -> " + newBpm + "]";
                }
            });
            ExampleRuntime.runFor(a, out);
        }
        out.println();
        return 0;
    }
}
