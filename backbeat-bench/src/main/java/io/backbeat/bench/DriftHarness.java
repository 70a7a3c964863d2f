package io.backbeat.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backbeat.pulse.fault.FakeClockFile;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code /drift} reads on three pulse processes at a tempo, one of them ({@code d1}) with a clock
 * running at {@code rate} (default 1.01: 1 % fast, the drift limit of the Go pulse (PER-003)) from its start
 * ({@link FakeClockFile}). Samples every node's {@code timer_drift_percent}, {@code clock_rate_ppm} and
 * {@code drift_source} every 5 s and reports when d1 first read 1.0 ± 0.2 % (and stayed there) and the
 * largest reading of the true clocks after their first 30 s.
 *
 * <pre>java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.DriftHarness [seconds=120] [bpm=600] [rate=1.01]</pre>
 */
public final class DriftHarness {
    private DriftHarness() {
    }

    private record Sample(long second, String node, double percent, Double ppm, String source, Double offset) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 120;
        double bpm = args.length > 1 ? Double.parseDouble(args[1]) : 600;
        double rate = args.length > 2 ? Double.parseDouble(args[2]) : 1.01;
        ObjectMapper json = new ObjectMapper();
        Path base = Files.createTempDirectory("backbeat-drift");
        List<Sample> samples = new ArrayList<>();
        try (NatsTestServer nats = NatsTestServer.start();
             FakeClockFile fast = new FakeClockFile(base.resolve("d1.faketime"), rate)) {
            List<String> flags = List.of("--bpm", String.valueOf(bpm), "--bar", "4", "--min-bpm", "1", "--max-bpm",
                    "1000", "--phases", "plan,execute,review");
            try (PulseProcessCluster cluster = PulseProcessCluster.builder(nats.url(), base).cluster("drift")
                    .nodes("d1", "d2", "d3").flags(flags).env("d1", fast.env()).cgroups(false).build();
                 Observer observer = Observer.connect(nats.url(), "drift")) {
                System.out.printf(Locale.ROOT, "drift: 3 ratis processes at %.0f BPM, d1's clock x%.4f from its start, "
                        + "%d s; load average %s; logs in %s%n", bpm, rate, seconds, loadAverage(), base);
                cluster.startAll();
                fast.restart();
                long t0 = System.nanoTime();
                for (long next = 5; next <= seconds; next += 5) {
                    Thread.sleep(Math.max(0, t0 + next * 1_000_000_000L - System.nanoTime()) / 1_000_000);
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %3ds", next));
                    for (String id : cluster.ids()) {
                        try {
                            JsonNode d = json.readTree(cluster.admin(id, "/drift").body());
                            Sample s = new Sample(next, id, d.path("timer_drift_percent").asDouble(),
                                    d.path("clock_rate_ppm").isNumber() ? d.path("clock_rate_ppm").asDouble() : null,
                                    d.path("drift_source").asText("-"), d.path("clock_offset_seconds").isNumber()
                                    ? d.path("clock_offset_seconds").asDouble() : null);
                            samples.add(s);
                            line.append(String.format(Locale.ROOT, "  %s %.4f%% (%s ppm, %s)", id, s.percent(),
                                    s.ppm() == null ? "-" : String.format(Locale.ROOT, "%+.0f", s.ppm()), s.source()));
                        } catch (Exception e) {
                            line.append("  ").append(id).append(" ").append(e.getClass().getSimpleName());
                        }
                    }
                    line.append(String.format(Locale.ROOT, "  leader %s", observer.currentLeader()));
                    System.out.println(line);
                }
            }
        }
        double want = (rate - 1) * 100;
        Long settled = null;
        for (Sample s : samples) {
            if (!s.node().equals("d1")) {
                continue;
            }
            boolean in = s.ppm() != null && Math.abs(s.ppm() / 1e4 - want) <= 0.2;
            if (in && settled == null) {
                settled = s.second();
            } else if (!in) {
                settled = null;
            }
        }
        Map<String, Double> worst = new LinkedHashMap<>();
        for (Sample s : samples) {
            if (!s.node().equals("d1") && s.second() > 30) {
                worst.merge(s.node(), s.percent(), Math::max);
            }
        }
        System.out.printf(Locale.ROOT, "drift: d1 (%+.2f %% applied) read %+.2f ± 0.2 %% from %s on; the true clocks' "
                        + "largest |reading| after 30 s: %s; load average %s%n", want, want,
                settled == null ? "never (to the end)" : settled + " s", worst, loadAverage());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
