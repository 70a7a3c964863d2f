package io.backbeat.bench;

import io.backbeat.pulse.fault.HostFaults;
import io.backbeat.pulse.fault.Observer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Chaos: three pulse processes (Ratis, or Atomix) on a real nats-server, outside subscribers and a real
 * {@link io.backbeat.client.BeatClient}; each scenario runs on a fresh rig ({@link ChaosRig}) and injects its
 * fault into the current leader {@code repeats} times ({@link ChaosScenario}):
 * <ul>
 *   <li>{@code kill}: SIGKILL, restarted on its data dir 5 s later;</li>
 *   <li>{@code stopcont}: SIGSTOP for 5 s, then SIGCONT;</li>
 *   <li>{@code partition}: iptables cuts its consensus traffic (TCP and UDP) for 5 s (NATS keeps flowing),
 *       then heals (needs root, iptables, cgroup v2);</li>
 *   <li>{@code skew}: node c1 runs with its wall clock 2 s ahead (libfaketime); the leader is SIGKILLed
 *       and restarted, so leadership moves between skewed and true clocks;</li>
 *   <li>{@code rate}: as skew, but c1's clock runs 1 % fast from each start ({@link FakeClockFile});</li>
 *   <li>{@code natsloss}: the nats-server is stopped for 3 s and started again on the same port (the gap
 *       is measured from the restart);</li>
 *   <li>{@code natscut}: the leader's packets to NATS are dropped for 5 s (half-open connection);</li>
 *   <li>{@code natsserver}: three routed nats-servers, the leader's is stopped (and restarted when settling);</li>
 *   <li>{@code diskfull}: data dirs on 16 MB tmpfs, the leader's filled (emptied and the node restarted if
 *       it exited, when settling).</li>
 * </ul>
 * After each fault 5 s are observed, the fault is undone, the node given 5 s and up to 15 s more to name a
 * leader again, and the beat must resume. One line per fault, then one per scenario: the gap from the fault to
 * the next frame (p50/max), to the first frame of another term or leader, the longest silence in the 5 s,
 * frames of a superseded term after the newer term's first frame, (beat, phase) pairs seen twice or
 * backwards (all at the outside subscribers), and what the client saw. A fault breaking a promise (gap or
 * silence over 2.5 s, superseded or repeated frames) is shown with the frames around it.
 *
 * <p>Usage: {@code ChaosHarness [repeats=3] [scenarios=all] [bpm=240] [ratis|atomix]}.
 * A command-line tool only (scripts/bench.sh chaos).
 */
public final class ChaosHarness {
    private static final double PROMISED_GAP_MS = 2500;

    private ChaosHarness() {
    }

    /** What one fault did, at the subscriber. */
    private record Rep(double next, double handOver, double silence) {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> scenarios = List.of((args.length > 1 ? args[1] : String.join(",", ChaosScenario.ALL))
                .split(","));
        String bpm = args.length > 2 ? args[2] : "240";
        String consensus = args.length > 3 ? args[3] : "ratis";
        if (!consensus.equals("ratis") && !consensus.equals("atomix")) {
            throw new IllegalArgumentException("consensus must be ratis or atomix, got " + consensus);
        }
        scenarios.forEach(s -> ChaosScenario.of(s).close()); // unknown names fail before anything starts
        Path dir = Files.createTempDirectory("backbeat-chaos");
        System.out.printf(Locale.ROOT, "chaos: 3 %s processes, %s BPM, bar 4, %d repeats of %s; load average %s; "
                + "logs in %s%n", consensus, bpm, repeats, scenarios, loadAverage(), dir);
        for (String name : scenarios) {
            try (ChaosScenario s = ChaosScenario.of(name)) {
                Optional<String> problem = s.problem();
                if (problem.isPresent()) {
                    System.out.printf("chaos %s: skipped, %s%n", name, problem.get());
                    continue;
                }
                run(s, repeats, consensus, bpm, Files.createDirectories(dir.resolve(name)));
            } catch (Exception e) {
                System.out.printf("chaos %s: aborted, %s%n", name, e);
            }
        }
        System.out.println("chaos cleanup: " + leftovers(dir));
    }

    private static void run(ChaosScenario s, int repeats, String consensus, String bpm, Path dir) throws Exception {
        String name = s.name();
        try (ChaosRig rig = ChaosRig.start(s, consensus, bpm, dir)) {
            List<Rep> reps = new ArrayList<>();
            int noFrame = 0;
            int broken = 0;
            for (int i = 1; i <= repeats; i++) {
                Observer.Arrival before = rig.latest();
                String leader = before.frame().leaderId();
                int phasesBefore = rig.client().phases();
                ChaosScenario.Fault f = s.inject(rig, leader);
                Thread.sleep(5000);
                long endAt = System.nanoTime();
                Observer obs = f.watcher();
                Observer.Silence silence = obs.longestSilence(f.atNanos(), endAt);
                String note = s.settle(rig, leader);
                Thread.sleep(5000);
                long rejoined = rig.cluster().isAlive(leader) ? rig.awaitRejoined(leader, Duration.ofSeconds(15)) : -1;
                boolean resumed = obs.awaitMoreFrames(6, Duration.ofSeconds(30));
                // measured now: a first frame that came only after settling counts with its real gap
                Rep r = new Rep(obs.gapAfterMs(f.atNanos()), obs.gapToNewLeadershipMs(f.atNanos()), silence.ms());
                reps.add(r);
                if (r.next() < 0 || r.next() > 5000) {
                    noFrame++;
                }
                Observer.Arrival after = obs.firstAfter(f.atNanos());
                System.out.printf(Locale.ROOT, "  %s %d: %s term %d -> %s: next frame %.0f ms, other term/leader %.0f "
                                + "ms, longest silence %.0f ms; client derived %d of %d phases%s%n", name, i, leader,
                        before.frame().term(), after == null ? "none" : after.frame().leaderId() + " term "
                                + after.frame().term(), r.next(), r.handOver(), r.silence(),
                        rig.client().derivedSince(phasesBefore), rig.client().phases() - phasesBefore,
                        f.note().isEmpty() ? "" : "; " + f.note());
                String rejoin = rejoined >= 0 ? leader + " names a leader after " + rejoined + " ms"
                        : leader + " names no leader (" + (rig.cluster().isAlive(leader) ? "15 s" : "not running") + ")";
                System.out.printf("  %s %d settle: %s%s%s; %s /ready %s%n", name, i, note, note.isEmpty() ? "" : "; ",
                        rejoin, leader, rig.adminLine(leader, "/ready"));
                if (!resumed) {
                    System.out.printf("  %s %d: the beat did not resume within 30 s of settling%n", name, i);
                }
                boolean late = r.next() < 0 || r.next() > PROMISED_GAP_MS || r.silence() > PROMISED_GAP_MS
                        || (s.movesLeadership() && (r.handOver() < 0 || r.handOver() > PROMISED_GAP_MS));
                if (late) {
                    broken++;
                    System.out.printf(Locale.ROOT, "  %s %d: promise broken (2.5 s); frames around the longest "
                            + "silence (from %+.0f ms after the fault), ms from the fault:%n", name, i,
                            (silence.fromNanos() - f.atNanos()) / 1e6);
                    obs.describeAround(silence.toNanos(), 4, 4, f.atNanos()).lines()
                            .forEach(l -> System.out.println("  " + l));
                }
            }
            Map<String, List<String>> superseded = violations(rig, true);
            Map<String, List<String>> repeated = violations(rig, false);
            ClientWatch.Sequence seq = rig.client().sequence();
            System.out.printf(Locale.ROOT, "chaos %s: %d faults; next frame %s; other term/leader %s; longest silence "
                            + "%s; faults over 2.5 s %d; no frame within 5 s %d; superseded-term frames %d; "
                            + "duplicate/backwards pairs %d; client: %s; load average %s%n", name, reps.size(),
                    stats(reps, Rep::next), stats(reps, Rep::handOver), stats(reps, Rep::silence), broken, noFrame,
                    superseded.size(), repeated.size(), rig.client().summary(), loadAverage());
            printFirst(superseded);
            printFirst(repeated);
            for (String p : seq.problems().subList(0, Math.min(5, seq.problems().size()))) {
                System.out.println("  client " + p);
            }
            s.report(rig).forEach(System.out::println);
        }
    }

    /**
     * Superseded-term frames ({@code superseded}) or duplicate/backwards pairs, at any observer: each
     * described once (the same frame seen by two observers counts once), with the frames around it.
     */
    private static Map<String, List<String>> violations(ChaosRig rig, boolean superseded) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int i = 0; i < rig.observers().size(); i++) {
            Observer o = rig.observers().get(i);
            for (Observer.Violation v : superseded ? o.supersededTermViolations() : o.duplicateOrBackwardViolations()) {
                String at = rig.observers().size() > 1 ? " (observer on nats-server " + (i + 1) + ")" : "";
                out.computeIfAbsent(v.description(), k -> List.of(k + at + "; frames around it:",
                        o.describeAround(v.arrival().nanos(), 3, 4)));
            }
        }
        return out;
    }

    private static void printFirst(Map<String, List<String>> violations) {
        violations.values().stream().limit(5).forEach(v -> {
            System.out.println("  " + v.get(0));
            v.get(1).lines().forEach(l -> System.out.println("  " + l));
        });
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

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** What the run may have left behind: iptables rules, cgroup dirs, mounts, pulse processes. */
    private static String leftovers(Path dir) {
        String rules = HostFaults.run(List.of("sh", "-c", "iptables -S 2>/dev/null | grep -c 'backbeat-' || true"))
                .output();
        String cgroups = HostFaults.cgroup2Root().map(r -> HostFaults.run(List.of("sh", "-c",
                "ls -d " + r + "/backbeat-* 2>/dev/null | wc -l")).output()).orElse("0 (no cgroup v2)");
        String mounts = HostFaults.run(List.of("sh", "-c", "grep -c -F -- '" + dir + "' /proc/mounts || true"))
                .output();
        long pulses = ProcessHandle.current().descendants()
                .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains("PulseMain")).count();
        return "iptables rules left " + rules + ", cgroup dirs left " + cgroups + ", tmpfs mounts left " + mounts
                + ", pulse processes left " + pulses;
    }
}
