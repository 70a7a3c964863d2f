package io.backbeat.bench;

import io.backbeat.rhythm.AdaptivePoller;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The work-driven heartbeat in real time: real threads, {@link System#nanoTime()}, every poller
 * sleeping to absolute deadlines. For each pattern a producer thread inserts the same jobs at the same
 * instants into one queue per poller; each poller's thread polls its queue, "executes" every job it
 * picked up (1 ms) and, unless it was a chain's last job, then inserts the chain's next job (the
 * classic polling tables scaled 1:10, where chains have two jobs). Latency of a chain: its first job's
 * insertion to its last job's pickup; of an independent job: insertion to pickup. All patterns and pollers run at once, for the
 * same budget of 20 polls per 6 s (a fixed poller of 300 ms).
 *
 * <pre>java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.HeartbeatHarness [seconds=180] [seed=1]</pre>
 */
public final class HeartbeatHarness {
    static final int MAX_POLLS = 20;
    static final Duration WINDOW = Duration.ofSeconds(6);
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;
    static final long WARM_UP = 10 * S;
    static final long EXECUTE = MS;

    private HeartbeatHarness() {
    }

    /** "Given the time of a poll and whether it found work, when is the next one." */
    interface Poller {
        long polled(long now, boolean foundWork);
    }

    /** A fixed poller on absolute deadlines: {@code origin + k * interval}, skipping instants already past. */
    static final class FixedPoller implements Poller {
        private final long interval;
        private long origin = Long.MIN_VALUE;

        FixedPoller(Duration interval) {
            this.interval = interval.toNanos();
        }

        @Override
        public long polled(long now, boolean foundWork) {
            if (origin == Long.MIN_VALUE) {
                origin = now;
            }
            return origin + (Math.floorDiv(now - origin, interval) + 1) * interval;
        }
    }

    record Pattern(String name, long minGap, long maxGap, boolean poisson, int chainLength) {
        long gap(Random rnd) {
            return poisson ? (long) (-Math.log(1 - rnd.nextDouble()) * minGap)
                    : minGap + (long) (rnd.nextDouble() * (maxGap - minGap));
        }
    }

    record Job(int chain, int step, long insertedAt) {
    }

    /** One poller on one pattern: its queue, its thread, what it measured. */
    static final class Lane implements Runnable {
        final String name;
        final Pattern pattern;
        final Poller poller;
        final long t0;
        final long end;
        final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
        final List<Long> polls = new ArrayList<>();
        final List<Long> wakeLateness = new ArrayList<>();
        final Map<Integer, Long> firstInserted = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<Integer, Long> latency = new LinkedHashMap<>();
        /** For each job a chain's work inserted: its insertion to its pickup. */
        final List<Long> successorWaits = new ArrayList<>();

        Lane(String name, Pattern pattern, Poller poller, long t0, long end) {
            this.name = name;
            this.pattern = pattern;
            this.poller = poller;
            this.t0 = t0;
            this.end = end;
        }

        void insert(int chain, long at) {
            firstInserted.put(chain, at);
            queue.add(new Job(chain, 0, at));
        }

        @Override
        public void run() {
            long next = t0 + (long) (new Random(name.hashCode()).nextDouble() * S); // a random phase
            while (next < end) {
                sleepUntil(next);
                long now = System.nanoTime();
                wakeLateness.add(now - next);
                polls.add(now);
                List<Job> picked = new ArrayList<>();
                for (Job j; (j = queue.poll()) != null; ) {
                    picked.add(j);
                }
                for (Job j : picked) {
                    if (j.step() > 0) {
                        successorWaits.add(now - j.insertedAt());
                    }
                    LockSupport.parkNanos(EXECUTE); // executes the job
                    if (j.step() + 1 < pattern.chainLength()) {
                        queue.add(new Job(j.chain(), j.step() + 1, System.nanoTime()));
                    } else {
                        latency.put(j.chain(), now - firstInserted.get(j.chain()));
                    }
                }
                next = poller.polled(now, !picked.isEmpty());
            }
        }
    }

    static void sleepUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 180;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        List<Pattern> patterns = List.of(
                new Pattern("chains 0.7-1.6 s apart", 700 * MS, 1600 * MS, false, 2),
                new Pattern("chains 2-4 s apart", 2 * S, 4 * S, false, 2),
                new Pattern("chains of 3, 0.7-1.6 s apart", 700 * MS, 1600 * MS, false, 3),
                new Pattern("independent, Poisson, mean 1 s", S, S, true, 1));
        Map<String, Supplier<Poller>> pollers = new LinkedHashMap<>();
        pollers.put("fixed 300 ms", () -> new FixedPoller(WINDOW.dividedBy(MAX_POLLS)));
        pollers.put("previous (400/200 ms, 50 ms after work)", () -> new PreviousAdaptivePoller(Duration.ofMillis(400),
                Duration.ofMillis(200), Duration.ofMillis(50), MAX_POLLS, WINDOW)::polled);
        AdaptivePoller sample = workDriven();
        pollers.put("backbone 461.5 ms + follow-ups 5/25 ms", () -> workDriven()::polled);
        System.out.printf(Locale.ROOT, "heartbeat: %d s, seed %d, budget %d polls per %s; %s; %d cores; load average %s%n",
                seconds, seed, MAX_POLLS, WINDOW, sample, Runtime.getRuntime().availableProcessors(), loadAverage());

        long t0 = System.nanoTime() + 200 * MS;
        long end = t0 + seconds * S;
        List<List<Lane>> lanes = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < patterns.size(); p++) {
            Pattern pattern = patterns.get(p);
            List<Lane> ls = new ArrayList<>();
            for (Map.Entry<String, Supplier<Poller>> e : pollers.entrySet()) {
                Lane lane = new Lane(pattern.name() + " / " + e.getKey(), pattern, e.getValue().get(), t0, end);
                ls.add(lane);
                threads.add(new Thread(lane, "poller-" + p + "-" + ls.size()));
            }
            lanes.add(ls);
            Random rnd = new Random(seed * 1000 + p);
            threads.add(new Thread(() -> {
                int chain = 0;
                for (long at = t0 + WARM_UP + pattern.gap(rnd); at < end - 3 * S; at += pattern.gap(rnd)) {
                    sleepUntil(at);
                    long now = System.nanoTime();
                    for (Lane lane : ls) {
                        lane.insert(chain, now);
                    }
                    chain++;
                }
            }, "producer-" + p));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }

        System.out.println("heartbeat | pattern | poller | chains or jobs | mean (ms) | p95 (ms) | max (ms) "
                + "| polls per 6 s | most in any 6 s | next jobs picked within 50 ms | wake-up late p50 / p99 (ms) |");
        for (List<Lane> ls : lanes) {
            for (Lane lane : ls) {
                List<Long> lat = new ArrayList<>(lane.latency.values());
                int expected = lane.firstInserted.size();
                String missing = lat.size() == expected ? "" : " (" + (expected - lat.size()) + " not picked up)";
                Collections.sort(lat);
                Collections.sort(lane.wakeLateness);
                double measured = (lane.polls.get(lane.polls.size() - 1) - lane.polls.get(0)) / (double) WINDOW.toNanos();
                long quick = lane.successorWaits.stream().filter(w -> w < 50 * MS).count();
                String followed = lane.successorWaits.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f %%",
                        100.0 * quick / lane.successorWaits.size());
                System.out.printf(Locale.ROOT, "heartbeat | %s | %s | %d%s | %.0f | %.0f | %.0f | %.2f | %d | %s | %.2f / %.2f |%n",
                        lane.pattern.name(), lane.name.substring(lane.pattern.name().length() + 3), lat.size(), missing,
                        lat.stream().mapToLong(Long::longValue).average().orElse(Double.NaN) / MS,
                        pct(lat, 0.95) / (double) MS, lat.isEmpty() ? Double.NaN : lat.get(lat.size() - 1) / (double) MS,
                        (lane.polls.size() - 1) / measured, mostIn(lane.polls, WINDOW.toNanos()), followed,
                        pct(lane.wakeLateness, 0.50) / (double) MS, pct(lane.wakeLateness, 0.99) / (double) MS);
            }
        }
        System.out.printf(Locale.ROOT, "heartbeat: done; load average %s%n", loadAverage());
    }

    static AdaptivePoller workDriven() {
        return AdaptivePoller.builder()
                .budget(MAX_POLLS, WINDOW)
                .backbonePolls(13)
                .followUps(Duration.ofMillis(5), Duration.ofMillis(25))
                .build();
    }

    static long pct(List<Long> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.ceil(sorted.size() * q) - 1);
    }

    /** The most polls in any half-open window of {@code window}. */
    static int mostIn(List<Long> polls, long window) {
        int best = 0;
        int start = 0;
        for (int i = 0; i < polls.size(); i++) {
            while (polls.get(i) - polls.get(start) >= window) {
                start++;
            }
            best = Math.max(best, i - start + 1);
        }
        return best;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
