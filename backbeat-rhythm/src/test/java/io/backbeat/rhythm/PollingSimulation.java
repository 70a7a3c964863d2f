package io.backbeat.rhythm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A queue polled in virtual time. A poll picks up every job inserted at or before it. In a chain
 * pattern, chains start at random gaps and the job a poll picks up inserts its successor
 * {@code chainDelay} later (the classic case: job 1 executes and places job 2 in the queue); a chain's
 * latency is its first job's insertion to its last job's pickup. In the independent pattern jobs
 * arrive as a Poisson process and nothing creates work; the latency is insertion to pickup.
 */
final class PollingSimulation {
    static final long MS = 1_000_000L;
    static final long S = 1_000 * MS;

    /** "Given the time of a poll and whether it found work, when is the next one." */
    interface Poller {
        long polled(long now, boolean foundWork);
    }

    /** How work arrives. */
    record Pattern(String name, long minGap, long maxGap, boolean poisson, int chainLength, long chainDelay) {
        static Pattern chains(String name, long minGap, long maxGap) {
            return chains(name, minGap, maxGap, 2);
        }

        static Pattern chains(String name, long minGap, long maxGap, int length) {
            return new Pattern(name, minGap, maxGap, false, length, MS);
        }

        static Pattern independent(String name, long meanGap) {
            return new Pattern(name, meanGap, meanGap, true, 1, 0);
        }

        long gap(Random rnd) {
            return poisson ? (long) (-Math.log(1 - rnd.nextDouble()) * minGap)
                    : minGap + (long) (rnd.nextDouble() * (maxGap - minGap));
        }
    }

    /** Latencies of the chains (or jobs) that started after the warm-up, and every poll instant. */
    record Result(List<Long> latencies, List<Long> polls) {
        double meanMs() {
            return latencies.stream().mapToLong(Long::longValue).average().orElseThrow() / MS;
        }

        double p95Ms() {
            List<Long> s = new ArrayList<>(latencies);
            Collections.sort(s);
            return s.get((int) Math.ceil(s.size() * 0.95) - 1) / (double) MS;
        }

        /** The most polls in any half-open window of {@code window}. */
        int maxPollsIn(long window) {
            int best = 0;
            int start = 0;
            for (int end = 0; end < polls.size(); end++) {
                while (polls.get(end) - polls.get(start) >= window) {
                    start++;
                }
                best = Math.max(best, end - start + 1);
            }
            return best;
        }

        double pollsPer(long window, long duration) {
            return polls.size() * (double) window / duration;
        }
    }

    private record Job(long insertedAt, int chain, int step) {
    }

    private PollingSimulation() {
    }

    /**
     * Runs {@code duration} of virtual time; the first poll is at a random instant of the first second,
     * chains start from {@code warmUp} on and count if they start before {@code duration - 10 s}.
     */
    static Result run(Pattern pattern, Supplier<Poller> factory, long seed, long warmUp, long duration) {
        Random arrivals = new Random(seed);
        Random phase = new Random(seed * 31 + 7);
        List<Long> starts = new ArrayList<>();
        for (long t = warmUp + pattern.gap(arrivals); t < duration - 10 * S; t += pattern.gap(arrivals)) {
            starts.add(t);
        }
        PriorityQueue<Job> queue = new PriorityQueue<>((a, b) -> Long.compare(a.insertedAt(), b.insertedAt()));
        for (int i = 0; i < starts.size(); i++) {
            queue.add(new Job(starts.get(i), i, 0));
        }
        long[] done = new long[starts.size()];
        List<Long> polls = new ArrayList<>();
        Poller poller = factory.get();
        long t = (long) (phase.nextDouble() * S);
        while (t < duration) {
            polls.add(t);
            boolean found = false;
            while (!queue.isEmpty() && queue.peek().insertedAt() <= t) {
                Job j = queue.poll();
                found = true;
                if (j.step() + 1 < pattern.chainLength()) {
                    queue.add(new Job(t + pattern.chainDelay(), j.chain(), j.step() + 1));
                } else {
                    done[j.chain()] = t;
                }
            }
            long next = poller.polled(t, found);
            if (next <= t) {
                throw new AssertionError("the poller asked for a poll at " + next + " after one at " + t);
            }
            t = next;
        }
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            if (done[i] == 0) {
                throw new AssertionError("chain " + i + " was never finished");
            }
            latencies.add(done[i] - starts.get(i));
        }
        return new Result(latencies, polls);
    }
}
