package io.backbeat.bench;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.pulse.PulseMain;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * End-to-end pulse harness: one single-node pulse (Ratis, bootstrapped) publishing on a real
 * nats-server on loopback, and a subscriber in the same JVM that records, for every frame, its
 * arrival time minus the grid instant at which its phase starts (publish jitter + delivery).
 *
 * <p>Usage: {@code PulseJitterHarness [seconds=60] [bpm=120]}. Prints p50/p95/p99/max in ms.
 * Not thread-safe; a command-line tool only.
 */
public final class PulseJitterHarness {

    private PulseJitterHarness() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        double bpm = args.length > 1 ? Double.parseDouble(args[1]) : 120;
        String cluster = "bench";
        Path dir = Files.createTempDirectory("pulse-bench");
        List<Long> lagNanos = Collections.synchronizedList(new ArrayList<>());
        String leaderMetrics = "";
        try (NatsTestServer nats = NatsTestServer.start();
             Connection sub = Nats.connect(nats.url())) {
            PulseConfig cfg = PulseConfig.parse(new String[]{"--cluster", cluster, "--node-id", "b1",
                    "--bpm", String.valueOf(bpm), "--bar", "4", "--phases", "plan,execute,review",
                    "--min-bpm", "1", "--max-bpm", "600", "--nats", nats.url(), "--admin-port", "0",
                    "--bootstrap", "--raft-bind", "127.0.0.1:" + NatsTestServer.freePort(), "--data-dir", dir.toString()}, Map.of());
            try (PulseMain.Running node = PulseMain.start(cfg, new PrintStream(OutputStream.nullOutputStream()))) {
                long[] warmupUntil = {Long.MAX_VALUE};
                Dispatcher d = sub.createDispatcher(msg -> {
                    long now = EpochNanos.of(Instant.now());
                    if (now < warmupUntil[0]) {
                        return;
                    }
                    BeatFrame f = BackbeatCodec.decodeFrame(msg.getData());
                    TimelineDescriptor desc = node.node().consensus().committedTimeline();
                    if (desc == null) {
                        return;
                    }
                    long start = Timeline.of(desc).phaseStartNanos(f.beatIndex(), f.phaseIndex());
                    lagNanos.add(now - start);
                });
                d.subscribe(ClusterId.beatSubject(cluster));
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (node.node().consensus().committedTimeline() == null && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                warmupUntil[0] = EpochNanos.of(Instant.now()) + 3_000_000_000L; // JIT warm-up excluded
                Thread.sleep(3_000L + seconds * 1000L);
                sub.closeDispatcher(d);
                leaderMetrics = leaderQuantiles(node.admin().port());
            }
        }
        List<Long> xs;
        synchronized (lagNanos) {
            xs = new ArrayList<>(lagNanos);
        }
        Collections.sort(xs);
        if (xs.isEmpty()) {
            System.out.println("no frames received");
            return;
        }
        System.out.printf("pulse %.1f BPM, %d s, %d frames: arrival - grid phase start (ms) p50 %.3f p95 %.3f p99 %.3f max %.3f%n",
                bpm, seconds, xs.size(), q(xs, 0.50), q(xs, 0.95), q(xs, 0.99), xs.get(xs.size() - 1) / 1e6);
        System.out.print(leaderMetrics);
    }

    /**
     * The leader's own jitter / publish-duration / delivery quantiles, in ms, from its /metrics: the
     * histograms have classic buckets, so a quantile is reported as the upper bound of the bucket it
     * falls in ({@code p95 <= 0.050}), with the bucket below it as the lower bound.
     */
    private static String leaderQuantiles(int adminPort) throws Exception {
        String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        StringBuilder out = new StringBuilder();
        for (String name : List.of("backbeat_pulse_jitter_seconds", "backbeat_beat_publish_duration_seconds",
                "backbeat_beat_delivery_latency_seconds")) {
            java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
            for (String line : body.split("\n")) {
                if (line.startsWith(name + "_bucket{") && line.contains("le=\"")) {
                    String le = line.substring(line.indexOf("le=\"") + 4);
                    le = le.substring(0, le.indexOf('"'));
                    double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                    cumulative.merge(bound, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
                }
            }
            out.append("leader ").append(name).append(" (ms, bucket bounds):");
            double total = cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
            if (total == 0) {
                out.append(" no samples");
            }
            for (double qn : new double[]{0.50, 0.95, 0.99}) {
                if (total == 0) {
                    break;
                }
                Double below = null;
                for (var e : cumulative.entrySet()) {
                    if (e.getValue() >= qn * total) {
                        out.append(String.format(" p%d %s..%s", Math.round(qn * 100),
                                below == null ? "-inf" : String.format("%.3f", below * 1e3),
                                e.getKey().isInfinite() ? "+inf" : String.format("%.3f", e.getKey() * 1e3)));
                        break;
                    }
                    below = e.getKey();
                }
            }
            out.append(String.format(" (n=%.0f)%n", total));
        }
        return out.toString();
    }

    private static double q(List<Long> sorted, double p) {
        int i = (int) Math.ceil(p * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
    }
}
