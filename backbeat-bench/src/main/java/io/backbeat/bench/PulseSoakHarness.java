package io.backbeat.bench;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.pulse.PulseMain;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Soak: three pulse nodes as OS processes on a real nats-server, a subscriber and a {@link BeatClient}
 * watching, and the current leader stopped again and again, SIGKILL ({@code kill}) or SIGTERM
 * ({@code term}, a planned stop with hand-over), each stopped node started again on its data dir
 * a few seconds later. Reports every failover's gap, phases never published, duplicates (must be
 * 0), term order, and what the client saw.
 *
 * <p>Usage: {@code PulseSoakHarness [minutes=5] [ratis|atomix] [kill|term] [everySeconds=20] [bpm=120]}.
 * Run with the class path of {@code backbeat-bench/target/benchmarks.jar}. A command-line tool only.
 */
public final class PulseSoakHarness {

    private PulseSoakHarness() {
    }

    private record Arrival(BeatFrame frame, long nanos) {
    }

    public static void main(String[] args) throws Exception {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        String consensus = args.length > 1 ? args[1] : "ratis";
        boolean kill = args.length <= 2 || args[2].equals("kill");
        int every = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        double bpm = args.length > 4 ? Double.parseDouble(args[4]) : 120;
        String cluster = "soak";
        Path dir = Files.createTempDirectory("backbeat-soak");
        List<Arrival> arrivals = new ArrayList<>();
        Map<String, Process> procs = new HashMap<>();
        Map<String, List<String>> commands = new HashMap<>();
        try (NatsTestServer nats = NatsTestServer.start(); Connection nc = Nats.connect(nats.url())) {
            Dispatcher d = nc.createDispatcher(m -> {
                long now = System.nanoTime();
                BeatFrame f = BackbeatCodec.decodeFrame(m.getData());
                synchronized (arrivals) {
                    arrivals.add(new Arrival(f, now));
                }
            });
            d.subscribe(ClusterId.beatSubject(cluster));
            String peers = "s1@127.0.0.1:" + NatsTestServer.freePort() + ",s2@127.0.0.1:" + NatsTestServer.freePort()
                    + ",s3@127.0.0.1:" + NatsTestServer.freePort();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (String id : List.of("s1", "s2", "s3")) {
                List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
                PulseMain.ADD_OPENS.forEach(pkg -> cmd.add("--add-opens=" + pkg + "=ALL-UNNAMED"));
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PulseMain.class.getName(),
                        "--cluster", cluster, "--node-id", id, "--bpm", String.valueOf(bpm), "--bar", "4",
                        "--min-bpm", "1", "--max-bpm", "600", "--phases", "plan,execute,review", "--nats", nats.url(),
                        "--admin-port", "0", "--peers", peers, "--data-dir", dir.resolve(id).toString(),
                        "--consensus", consensus));
                commands.put(id, cmd);
                procs.put(id, launch(cmd, dir.resolve(id + ".log")));
            }
            try (ClientWatch client = ClientWatch.connect(cluster, 3, nats.url())) {
                long start = System.nanoTime();
                while (size(arrivals) < 12) {
                    if (System.nanoTime() - start > 120_000_000_000L) {
                        throw new IllegalStateException("no beat within 120 s; logs in " + dir);
                    }
                    Thread.sleep(50);
                }
                System.out.printf("soak: %s, %s every %d s, %.0f BPM, %.1f min; first frames %d ms after launch%n",
                        consensus, kill ? "SIGKILL" : "SIGTERM", every, bpm, minutes, (System.nanoTime() - start) / 1_000_000);
                long end = System.nanoTime() + (long) (minutes * 60e9);
                List<Long> gaps = new ArrayList<>();
                int failedFailovers = 0;
                while (System.nanoTime() < end) {
                    Thread.sleep(every * 1000L);
                    BeatFrame last = last(arrivals).frame();
                    String leader = last.leaderId();
                    long term = last.term();
                    long stoppedAt = System.nanoTime();
                    Process p = procs.get(leader);
                    if (kill) {
                        p.destroyForcibly();
                    } else {
                        p.destroy();
                    }
                    p.waitFor(30, TimeUnit.SECONDS);
                    long gap = waitForTermAbove(arrivals, term, stoppedAt, 60);
                    if (gap < 0) {
                        failedFailovers++;
                        System.out.printf("  %s (term %d) stopped: no new term within 60 s%n", leader, term);
                    } else {
                        gaps.add(gap);
                        System.out.printf("  %s (term %d) stopped: first frame of term %d after %d ms%n", leader, term,
                                last(arrivals).frame().term(), gap / 1_000_000);
                    }
                    Thread.sleep(3000);
                    procs.put(leader, launch(commands.get(leader), dir.resolve(leader + ".log")));
                }
                Thread.sleep(2000);
                report(arrivals, gaps, failedFailovers, client);
            }
        } finally {
            procs.values().forEach(Process::destroyForcibly);
            for (Process p : procs.values()) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (String id : List.of("s1", "s2", "s3")) {
            System.out.println("data dir " + id + ": " + dataDirSummary(dir.resolve(id)));
        }
        System.out.println("logs: " + dir);
    }

    /** Bytes, log segments and snapshot files of a node's data dir. */
    private static String dataDirSummary(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return "missing";
        }
        long bytes = 0;
        int segments = 0;
        int snapshots = 0;
        try (java.util.stream.Stream<Path> s = Files.walk(d)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                bytes += Files.size(f);
                String n = f.getFileName().toString();
                segments += n.startsWith("log_") ? 1 : 0;
                snapshots += n.startsWith("snapshot.") && !n.endsWith(".md5") ? 1 : 0;
            }
        }
        return String.format(java.util.Locale.ROOT, "%d bytes, %d log segments, %d snapshots", bytes, segments,
                snapshots);
    }

    private static Process launch(List<String> cmd, Path log) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static int size(List<Arrival> arrivals) {
        synchronized (arrivals) {
            return arrivals.size();
        }
    }

    private static Arrival last(List<Arrival> arrivals) {
        synchronized (arrivals) {
            return arrivals.get(arrivals.size() - 1);
        }
    }

    /** Nanoseconds from {@code since} to the arrival of the first frame with a term above {@code term}; -1 on timeout. */
    private static long waitForTermAbove(List<Arrival> arrivals, long term, long since, int seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            synchronized (arrivals) {
                for (Arrival a : arrivals) {
                    if (a.frame().term() > term && a.nanos() >= since) {
                        return a.nanos() - since;
                    }
                }
            }
            Thread.sleep(20);
        }
        return -1;
    }

    private static void report(List<Arrival> arrivals, List<Long> gaps, int failed, ClientWatch client) {
        List<Arrival> all;
        synchronized (arrivals) {
            all = new ArrayList<>(arrivals);
        }
        Set<Long> seen = new HashSet<>();
        int duplicates = 0;
        TreeSet<Long> keys = new TreeSet<>();
        Map<Long, Long> termOf = new HashMap<>();
        int termOrder = 0;
        for (Arrival a : all) {
            long key = a.frame().beatIndex() * 3 + a.frame().phaseIndex();
            if (!seen.add(key)) {
                duplicates++;
            }
            keys.add(key);
            termOf.put(key, a.frame().term());
        }
        long prevTerm = 0;
        for (long k : keys) {
            long t = termOf.get(k);
            if (t < prevTerm) {
                termOrder++;
            }
            prevTerm = Math.max(prevTerm, t);
        }
        long span = keys.last() - keys.first() + 1;
        long unpublished = span - keys.size();
        long worst = 0;
        Long prev = null;
        for (long k : keys) {
            if (prev != null) {
                worst = Math.max(worst, k - prev - 1);
            }
            prev = k;
        }
        Collections.sort(gaps);
        System.out.printf("frames %d over %d phases: unpublished %d (worst run %d), duplicates %d, term order violations %d%n",
                all.size(), span, unpublished, worst, duplicates, termOrder);
        if (!gaps.isEmpty()) {
            System.out.printf("failovers %d (+%d without a new term in 60 s): gap p50 %d ms, max %d ms%n", gaps.size(),
                    failed, gaps.get(gaps.size() / 2) / 1_000_000, gaps.get(gaps.size() - 1) / 1_000_000);
        }
        List<String> problems = client.sequence().problems();
        System.out.printf("client: %s%s%n", client.summary(),
                problems.isEmpty() ? "" : " " + problems.subList(0, Math.min(5, problems.size())));
    }
}
