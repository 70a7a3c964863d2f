package io.backbeat.bench;

import io.backbeat.pulse.fault.HostFaults;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Chaos: three Ratis pulse processes on a real nats-server and an outside subscriber; each scenario runs on
 * a fresh cluster and injects its fault into the current leader {@code repeats} times:
 * <ul>
 *   <li>{@code kill}: SIGKILL, restarted on its data dir 5 s later;</li>
 *   <li>{@code stopcont}: SIGSTOP for 5 s, then SIGCONT;</li>
 *   <li>{@code partition}: iptables cuts its consensus traffic for 5 s (NATS keeps flowing), then heals
 *       (needs root, iptables, cgroup v2);</li>
 *   <li>{@code skew}: node c1 runs with its wall clock 2 s ahead (libfaketime); the leader is SIGKILLed
 *       and restarted, so leadership moves between skewed and true clocks;</li>
 *   <li>{@code natsloss}: the nats-server is stopped for 3 s and started again on the same port (the gap
 *       is measured from the restart).</li>
 * </ul>
 * One line per scenario: the gap from the fault to the next frame (p50/max), to the first frame of another
 * term or leader, the longest silence, frames of a superseded term after the newer term's first frame, and
 * (beat, phase) pairs seen twice or backwards, all at the outside subscriber.
 *
 * <p>Usage: {@code ChaosHarness [repeats=3] [scenarios=kill,stopcont,partition,skew,natsloss] [bpm=240]}.
 * A command-line tool only (scripts/bench.sh chaos).
 */
public final class ChaosHarness {
    private static final String CLUSTER = "chaos";
    private static final String SKEWED = "c1";

    private ChaosHarness() {
    }

    /** What one fault did, at the subscriber. */
    private record Rep(String from, String to, double next, double handOver, double silence) {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> scenarios = List.of((args.length > 1 ? args[1] : "kill,stopcont,partition,skew,natsloss")
                .split(","));
        String bpm = args.length > 2 ? args[2] : "240";
        Path dir = Files.createTempDirectory("backbeat-chaos");
        System.out.printf(Locale.ROOT, "chaos: 3 ratis processes, %s BPM, bar 4, %d repeats of %s; logs in %s%n",
                bpm, repeats, scenarios, dir);
        for (String scenario : scenarios) {
            if (scenario.equals("partition") && HostFaults.partitionProblem().isPresent()) {
                System.out.printf("chaos partition: skipped, %s%n", HostFaults.partitionProblem().get());
                continue;
            }
            try {
                run(scenario, repeats, bpm, Files.createDirectories(dir.resolve(scenario)));
            } catch (Exception e) {
                System.out.printf("chaos %s: aborted, %s%n", scenario, e);
            }
        }
        System.out.printf("chaos cleanup: iptables rules left %s, cgroup dirs left %s%n",
                HostFaults.run(List.of("sh", "-c", "iptables -S 2>/dev/null | grep -c 'backbeat-' || true")).output(),
                HostFaults.cgroup2Root().map(r -> HostFaults.run(List.of("sh", "-c",
                        "ls -d " + r + "/backbeat-* 2>/dev/null | wc -l")).output()).orElse("0 (no cgroup v2)"));
    }

    private static void run(String scenario, int repeats, String bpm, Path dir) throws Exception {
        List<String> flags = new ArrayList<>(PulseProcessCluster.DEFAULT_FLAGS);
        flags.set(flags.indexOf("--bpm") + 1, bpm);
        try (NatsTestServer nats = NatsTestServer.start()) {
            PulseProcessCluster.Builder b = PulseProcessCluster.builder(nats.url(), dir).cluster(CLUSTER)
                    .nodes("c1", "c2", "c3").flags(flags);
            if (scenario.equals("skew")) {
                b.env(SKEWED, PulseProcessCluster.fakeTime("+2s"));
            }
            try (PulseProcessCluster cluster = b.build(); Observer obs = Observer.connect(nats.url(), CLUSTER)) {
                cluster.startAll();
                if (!obs.awaitFrames(12, Duration.ofSeconds(90))) {
                    throw new IllegalStateException("no beat within 90 s of launch; logs in " + dir);
                }
                Thread.sleep(2000);
                List<Rep> reps = new ArrayList<>();
                int noFrame = 0;
                for (int i = 1; i <= repeats; i++) {
                    String leader = obs.currentLeader();
                    long term = obs.currentTerm();
                    long faultAt = inject(scenario, cluster, nats, leader);
                    Thread.sleep(5000);
                    long endAt = System.nanoTime();
                    Rep r = new Rep(leader + " term " + term, obs.last().frame().leaderId() + " term "
                            + obs.last().frame().term(), obs.gapAfterMs(faultAt), obs.gapToNewLeadershipMs(faultAt),
                            obs.maxSilenceMs(faultAt, endAt));
                    if (r.next() < 0 || r.next() > 10_000) {
                        noFrame++;
                    }
                    reps.add(r);
                    System.out.printf(Locale.ROOT, "  %s %d: %s -> %s: next frame %.0f ms, other term/leader %.0f ms, "
                            + "longest silence %.0f ms%n", scenario, i, r.from(), r.to(), r.next(), r.handOver(),
                            r.silence());
                    settle(scenario, cluster, leader);
                    if (!obs.awaitMoreFrames(6, Duration.ofSeconds(30))) {
                        System.out.printf("  %s %d: the beat did not resume within 30 s%n", scenario, i);
                    }
                }
                System.out.printf(Locale.ROOT, "chaos %s: %d faults; next frame %s; other term/leader %s; longest "
                                + "silence %s; superseded-term frames %d; duplicate/backwards pairs %d; faults with no "
                                + "frame in 10 s %d%n", scenario, reps.size(), stats(reps, Rep::next),
                        stats(reps, Rep::handOver), stats(reps, Rep::silence), obs.supersededTermFrames(),
                        obs.duplicateOrBackwardPairs(), noFrame);
                for (String d : first(obs.supersededTermDetails(), obs.duplicateOrBackwardDetails())) {
                    System.out.println("  " + d);
                }
                if (scenario.equals("skew")) {
                    reportSkew(obs, cluster);
                }
            }
        }
    }

    /** Injects the fault into {@code leader} (or NATS); returns the instant the gap is measured from. */
    private static long inject(String scenario, PulseProcessCluster cluster, NatsTestServer nats, String leader)
            throws Exception {
        long at = System.nanoTime();
        switch (scenario) {
            case "kill", "skew" -> cluster.kill(leader);
            case "stopcont" -> cluster.stop(leader);
            case "partition" -> cluster.partition(leader);
            case "natsloss" -> {
                nats.stop();
                Thread.sleep(3000);
                nats.restart();
                at = System.nanoTime();
            }
            default -> throw new IllegalArgumentException("unknown scenario " + scenario
                    + " (kill, stopcont, partition, skew, natsloss)");
        }
        return at;
    }

    /** Undoes the fault after the observation: restart, SIGCONT or heal, then a few seconds to rejoin. */
    private static void settle(String scenario, PulseProcessCluster cluster, String leader) throws Exception {
        switch (scenario) {
            case "kill", "skew" -> cluster.start(leader);
            case "stopcont" -> cluster.cont(leader);
            case "partition" -> cluster.heal(leader);
            default -> {
            }
        }
        Thread.sleep(5000);
    }

    /** Who led, and how far ahead of this host's clock each leader's deadlines were when they arrived. */
    private static void reportSkew(Observer obs, PulseProcessCluster cluster) throws Exception {
        Map<String, List<Long>> lead = new LinkedHashMap<>();
        for (Observer.Arrival a : obs.arrivals()) {
            lead.computeIfAbsent(a.frame().leaderId(), k -> new ArrayList<>())
                    .add(a.frame().deadlineEpochNanos() - a.epochNanos());
        }
        StringBuilder sb = new StringBuilder();
        lead.forEach((id, l) -> {
            Collections.sort(l);
            sb.append(String.format(Locale.ROOT, " %s%s: %d frames, deadline - arrival p50 %.0f ms;", id,
                    id.equals(SKEWED) ? " (+2 s)" : "", l.size(), l.get(l.size() / 2) / 1e6));
        });
        if (!lead.containsKey(SKEWED)) {
            sb.append(" ").append(SKEWED).append(" (+2 s): no frame published;");
        }
        System.out.println("chaos skew: leaders" + sb);
        String drift;
        try {
            drift = cluster.admin(SKEWED, "/drift").body().replace('\n', ' ');
        } catch (Exception e) {
            drift = e.toString();
        }
        System.out.println("chaos skew: " + SKEWED + " /drift " + drift);
    }

    @SafeVarargs
    private static List<String> first(List<String>... lists) {
        List<String> out = new ArrayList<>();
        for (List<String> l : lists) {
            out.addAll(l.subList(0, Math.min(5, l.size())));
        }
        return out;
    }

    /** {@code p50 X max Y ms}, over the faults that produced the figure ({@code (k of n)} when not all did). */
    private static String stats(List<Rep> reps, ToDoubleFunction<Rep> f) {
        List<Double> v = new ArrayList<>();
        for (Rep r : reps) {
            double x = f.applyAsDouble(r);
            if (x >= 0) {
                v.add(x);
            }
        }
        Collections.sort(v);
        if (v.isEmpty()) {
            return "none";
        }
        return String.format(Locale.ROOT, "p50 %.0f max %.0f ms%s", v.get(v.size() / 2), v.get(v.size() - 1),
                v.size() == reps.size() ? "" : " (" + v.size() + " of " + reps.size() + ")");
    }
}
