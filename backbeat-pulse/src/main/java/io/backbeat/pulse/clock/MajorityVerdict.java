package io.backbeat.pulse.clock;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The majority rule behind {@link ClockOffsetEstimator#assess}, over the fresh peers' offsets: trusted
 * when a majority of the cluster (this node included) is within the bound of this clock, skewed when
 * a majority agrees on a time beyond it, and otherwise (an even split) the last majority verdict
 * reached with every member measured (or by more than a bare majority), as long as every peer still
 * measured is where it was then (within half the bound); failing that, undecided. Keeps that last
 * verdict; not thread-safe (the estimator guards it).
 */
final class MajorityVerdict {
    /** The last majority verdict and each peer's offset when it was reached. */
    private record Decided(ClockVerdict.Status status, Map<String, Long> peerOffsets) {
    }

    private Decided lastDecided;

    /**
     * @param fresh   each fresh peer's offset now (peer minus this node)
     * @param judged  each fresh peer's offset to judge it on (now or a second ahead, the larger)
     */
    ClockVerdict decide(Map<String, Long> fresh, Map<String, Long> judged, long boundNanos, int clusterSize) {
        int majority = clusterSize / 2 + 1;
        List<Long> agreeing = new ArrayList<>();
        agreeing.add(0L);
        for (Map.Entry<String, Long> e : fresh.entrySet()) {
            if (Math.abs(judged.get(e.getKey())) <= boundNanos) {
                agreeing.add(e.getValue());
            }
        }
        int agree = agreeing.size() - 1;
        // a verdict is remembered (for a later even split) only when every member was measured or it won
        // by more than a bare majority: otherwise a clock creeping away during a split would carry it along
        boolean clearView = fresh.size() >= clusterSize - 1;
        if (clusterSize == 1 || agreeing.size() >= majority) {
            if (clearView || agreeing.size() > majority) {
                lastDecided = new Decided(ClockVerdict.Status.TRUSTED, Map.copyOf(fresh));
            }
            return new ClockVerdict(ClockVerdict.Status.TRUSTED, fresh.isEmpty() ? OptionalLong.empty()
                    : OptionalLong.of(-median(agreeing)), fresh.size(), agree,
                    (agreeing.size()) + " of " + clusterSize + " members agree with this clock");
        }
        if (fresh.isEmpty()) {
            return new ClockVerdict(ClockVerdict.Status.UNMEASURED, OptionalLong.empty(), 0, 0,
                    "no peer has answered a clock probe yet");
        }
        List<Long> others = largestAgreeingGroup(judged.values(), boundNanos);
        if (others.size() >= majority) {
            if (clearView || others.size() > majority) {
                lastDecided = new Decided(ClockVerdict.Status.SKEWED, Map.copyOf(fresh));
            }
            return new ClockVerdict(ClockVerdict.Status.SKEWED, OptionalLong.of(-median(others)), fresh.size(), agree,
                    others.size() + " of " + clusterSize + " members agree on a time beyond the bound from this clock"
                            + " (judged on the offset now or a second from now at the measured rate, the larger)");
        }
        OptionalLong split = medianNearerZero(fresh.values());
        Decided d = lastDecided;
        if (d != null && unmoved(d, fresh, boundNanos / 2)) {
            OptionalLong offset = d.status() == ClockVerdict.Status.SKEWED
                    ? OptionalLong.of(-median(new ArrayList<>(fresh.values()))) : split;
            return new ClockVerdict(d.status(), offset, fresh.size(), agree, "no majority reachable ("
                    + (fresh.size() + 1) + " of " + clusterSize + " members measured, " + (agree + 1)
                    + " agree); the last majority verdict holds while the peers' offsets stay where they were");
        }
        return new ClockVerdict(ClockVerdict.Status.UNDECIDED, split, fresh.size(), agree, "no majority agrees "
                + "either way (" + (agree + 1) + " of " + clusterSize + " members agree with this clock, "
                + (fresh.size() + 1) + " measured) and no earlier majority verdict matches the offsets seen now");
    }

    /** Minus the median of {@code {0} ∪ offsets}, the middle value nearer zero on an even count. */
    static OptionalLong medianNearerZero(Collection<Long> peerOffsets) {
        List<Long> offsets = new ArrayList<>(peerOffsets);
        offsets.add(0L);
        offsets.sort(null);
        int n = offsets.size();
        long median = offsets.get(n / 2);
        if (n % 2 == 0 && Math.abs(offsets.get(n / 2 - 1)) < Math.abs(median)) {
            median = offsets.get(n / 2 - 1);
        }
        return OptionalLong.of(-median);
    }

    private static long median(List<Long> values) {
        List<Long> v = new ArrayList<>(values);
        v.sort(null);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : v.get(n / 2 - 1) / 2 + v.get(n / 2) / 2;
    }

    /** The most peers whose offsets lie within {@code bound} of one another (a sorted sliding window). */
    private static List<Long> largestAgreeingGroup(Collection<Long> offsets, long bound) {
        List<Long> v = new ArrayList<>(offsets);
        v.sort(null);
        int bestFrom = 0;
        int bestTo = 0;
        int from = 0;
        for (int to = 0; to < v.size(); to++) {
            while (v.get(to) - v.get(from) > bound) {
                from++;
            }
            if (to + 1 - from > bestTo - bestFrom) {
                bestFrom = from;
                bestTo = to + 1;
            }
        }
        return v.subList(bestFrom, bestTo);
    }

    /** Every peer measured now that was measured at the last verdict is within {@code tolerance} of where it was. */
    private static boolean unmoved(Decided d, Map<String, Long> fresh, long tolerance) {
        int common = 0;
        for (Map.Entry<String, Long> e : fresh.entrySet()) {
            Long then = d.peerOffsets().get(e.getKey());
            if (then == null) {
                continue;
            }
            common++;
            if (Math.abs(e.getValue() - then) > tolerance) {
                return false;
            }
        }
        return common > 0;
    }
}
