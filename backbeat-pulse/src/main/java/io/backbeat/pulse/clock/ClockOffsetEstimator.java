package io.backbeat.pulse.clock;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * NTP-style clock offset estimation from probe/reply timestamps. Pure: no threads, no I/O and no
 * clock reads; every instant is passed in by the caller. All instants are <b>nanoseconds since the
 * Unix epoch</b>: {@code t0} local send, {@code t1} peer receive, {@code t2} peer send (on the
 * peer's clock) and {@code t3} local receive.
 *
 * <p>For one exchange, {@code offset = ((t1 - t0) + (t2 - t3)) / 2} is the <b>peer's clock minus
 * this node's clock</b> (positive = the peer is ahead) and {@code rtt = (t3 - t0) - (t2 - t1)} the
 * network round trip without the peer's processing time. Samples with a negative round trip, a
 * round trip above {@code maxRtt}, or timestamps whose arithmetic overflows are rejected.
 *
 * <p>Each peer keeps a sliding window of its last {@code window} accepted samples; the window is
 * anchored at the most recently added sample's {@code t3} (samples are fed in arrival order), and
 * samples more than {@code maxAge} before it (or after it, when the local clock stepped back) are
 * forgotten. A peer's offset is that of the window's sample with the smallest round trip (the
 * classic minimum-delay filter: the least-delayed exchange has the least asymmetry); ties go to the
 * newer sample. A peer is <em>fresh</em> while its newest sample's {@code t3} is within
 * {@code maxAge} of the caller's "now".
 *
 * <p><b>Rate.</b> A clock that runs at the wrong rate moves its offset between samples (a 1 % fast
 * clock gains 10 ms a second), so the minimum-delay sample, up to {@code maxAge} old, trails the truth.
 * Once a window holds {@value #MIN_RATE_SAMPLES} samples over at least {@value #MIN_RATE_SPAN_MS} ms,
 * the offset's slope is fitted by least squares (over the samples whose round trip is near the
 * smallest) and the offset is read off the fitted line at the instant asked about:
 * the newest sample for {@link #peerOffsetNanos}, "now" for {@link #localOffsetNanos} and
 * {@link #assess}. {@link #peerRate} gives the slope.
 *
 * <p><b>Verdict.</b> {@link #assess} decides whether this clock may drive the beat: trusted when a
 * majority of the cluster (this node included) is within the bound of it, skewed when a majority of
 * the cluster agrees on a time beyond the bound, and otherwise (an even split) the last majority
 * verdict reached with every member measured (or by more than a bare majority), as long as every
 * peer still measured is where it was then (within half the bound); failing that, undecided.
 *
 * <p>Thread-safe: every method synchronizes on this instance.
 */
public final class ClockOffsetEstimator {
    /** Samples kept per peer by {@link #ClockOffsetEstimator()}. */
    public static final int DEFAULT_WINDOW = 8;
    /** Sample age after which a sample is forgotten and a silent peer stops being fresh. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(5);
    /** Largest round trip accepted. */
    public static final Duration DEFAULT_MAX_RTT = Duration.ofSeconds(1);

    /** Samples a window needs before its rate is fitted. */
    public static final int MIN_RATE_SAMPLES = 4;
    /** Time a window's samples must span before its rate is fitted, milliseconds. */
    public static final long MIN_RATE_SPAN_MS = 1_000;
    /**
     * How far ahead {@link #assess} looks along a fitted rate: a clock is judged on the larger of its
     * offset now and a second from now, since the measurement trails by a probe and a clock may step.
     */
    public static final long JUDGE_AHEAD_MS = 1_000;
    /** Largest rate believed, as a fraction (5 %): a steeper fit is noise or a stepped clock. */
    private static final double MAX_RATE = 0.05;

    private record Sample(long offsetNanos, long rttNanos, long t3) {
    }

    /** The last majority verdict and each peer's offset when it was reached. */
    private record Decided(ClockVerdict.Status status, Map<String, Long> peerOffsets) {
    }

    private Decided lastDecided;

    private final int window;
    private final long maxAgeNanos;
    private final long maxRttNanos;
    private final Map<String, ArrayDeque<Sample>> peers = new HashMap<>();

    /** {@link #DEFAULT_WINDOW} samples, {@link #DEFAULT_MAX_AGE}, {@link #DEFAULT_MAX_RTT}. */
    public ClockOffsetEstimator() {
        this(DEFAULT_WINDOW, DEFAULT_MAX_AGE, DEFAULT_MAX_RTT);
    }

    /**
     * @param window samples kept per peer, at least 1
     * @param maxAge how long a sample counts, relative to the peer's newest sample and to "now"; positive
     * @param maxRtt largest round trip accepted; positive
     */
    public ClockOffsetEstimator(int window, Duration maxAge, Duration maxRtt) {
        if (window < 1 || maxAge.isNegative() || maxAge.isZero() || maxRtt.isNegative() || maxRtt.isZero()) {
            throw new IllegalArgumentException("window must be >= 1 and maxAge, maxRtt positive: window=" + window
                    + " maxAge=" + maxAge + " maxRtt=" + maxRtt);
        }
        this.window = window;
        this.maxAgeNanos = maxAge.toNanos();
        this.maxRttNanos = maxRtt.toNanos();
    }

    /**
     * Feeds one exchange with {@code peerId}, all instants in epoch nanoseconds ({@code t1}, {@code t2}
     * on the peer's clock, {@code t0}, {@code t3} on this node's).
     *
     * @return {@code true} when the sample was accepted, {@code false} when rejected (round trip
     *         negative or above the bound, or timestamps that overflow)
     */
    public synchronized boolean add(String peerId, long t0, long t1, long t2, long t3) {
        Objects.requireNonNull(peerId, "peerId");
        long rtt;
        long offset;
        try {
            rtt = Math.subtractExact(Math.subtractExact(t3, t0), Math.subtractExact(t2, t1));
            offset = Math.addExact(Math.subtractExact(t1, t0), Math.subtractExact(t2, t3)) / 2;
        } catch (ArithmeticException overflow) {
            return false;
        }
        if (rtt < 0 || rtt > maxRttNanos) {
            return false;
        }
        ArrayDeque<Sample> w = peers.computeIfAbsent(peerId, k -> new ArrayDeque<>(window));
        w.removeIf(s -> Math.abs(s.t3() - t3) > maxAgeNanos);
        if (w.size() == window) {
            w.removeFirst();
        }
        w.addLast(new Sample(offset, rtt, t3));
        return true;
    }

    /**
     * The peer's clock minus this node's, nanoseconds (positive = peer ahead), from its minimum-RTT
     * sample, or from the fitted line at the peer's newest sample once a rate is fitted.
     */
    public synchronized OptionalLong peerOffsetNanos(String peerId) {
        ArrayDeque<Sample> w = peers.get(peerId);
        return w == null || w.isEmpty() ? OptionalLong.empty() : OptionalLong.of(offsetAt(w, w.peekLast().t3()));
    }

    /** The round trip of the sample {@link #peerOffsetNanos} uses, nanoseconds. */
    public synchronized OptionalLong peerRttNanos(String peerId) {
        Sample s = best(peerId);
        return s == null ? OptionalLong.empty() : OptionalLong.of(s.rttNanos());
    }

    /**
     * Every known peer's offset (peer clock minus this node's, nanoseconds), fresh or not; an
     * immutable copy.
     */
    public synchronized Map<String, Long> peerOffsets() {
        Map<String, Long> out = new HashMap<>();
        for (Map.Entry<String, ArrayDeque<Sample>> e : peers.entrySet()) {
            out.put(e.getKey(), offsetAt(e.getValue(), e.getValue().peekLast().t3()));
        }
        return Map.copyOf(out);
    }

    /**
     * This node's clock minus the cluster's median clock, nanoseconds; positive = this node is ahead.
     *
     * <p>The median is taken over {@code {0 (this node)} ∪ {offsets of the peers fresh at
     * nowEpochNanos}} and negated (peer offsets are peer minus local). With an even count the median
     * is the one of the two middle values nearer to zero: an even split cannot tell which clock is
     * wrong, so it gives this node the benefit of the doubt (with one peer at {@code +d}, both nodes
     * report 0, and neither is disqualified from leading; with three nodes one wrong clock is found).
     *
     * @param nowEpochNanos now on this node's clock, epoch nanoseconds
     * @return empty when no peer is fresh
     */
    public synchronized OptionalLong localOffsetNanos(long nowEpochNanos) {
        List<Long> offsets = new ArrayList<>();
        for (ArrayDeque<Sample> w : peers.values()) {
            if (fresh(w, nowEpochNanos)) {
                offsets.add(offsetAt(w, nowEpochNanos));
            }
        }
        return offsets.isEmpty() ? OptionalLong.empty() : medianNearerZero(offsets);
    }

    /** Minus the median of {@code {0} ∪ offsets}, the middle value nearer zero on an even count. */
    private static OptionalLong medianNearerZero(Collection<Long> peerOffsets) {
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

    /**
     * The peer's offset at {@code atEpochNanos}: the fitted line there once a rate is fitted (it averages
     * the samples' noise as well as following the rate), else the minimum-delay sample's offset.
     */
    private long offsetAt(ArrayDeque<Sample> w, long atEpochNanos) {
        double[] fit = fit(w);
        if (fit == null) {
            return best(w).offsetNanos();
        }
        double at = fit[1] + fit[0] * (double) (atEpochNanos - w.peekLast().t3()) + w.peekLast().offsetNanos();
        return (long) Math.max(Long.MIN_VALUE / 2, Math.min(Long.MAX_VALUE / 2, at));
    }

    private static double slope(ArrayDeque<Sample> w) {
        double[] fit = fit(w);
        return fit == null ? Double.NaN : fit[0];
    }

    /**
     * Least-squares line of offset over {@code t3} ({@code {slope, intercept}}, the intercept relative
     * to the newest sample's offset at its {@code t3}), using the samples whose round trip is within
     * {@code max(1 ms, min)} of the smallest; null while the window is too short or the slope is past 5 %.
     */
    private static double[] fit(ArrayDeque<Sample> w) {
        if (w.size() < MIN_RATE_SAMPLES || w.peekLast().t3() - w.peekFirst().t3() < MIN_RATE_SPAN_MS * 1_000_000) {
            return null;
        }
        long minRtt = Long.MAX_VALUE;
        for (Sample s : w) {
            minRtt = Math.min(minRtt, s.rttNanos());
        }
        long rttCap = minRtt + Math.max(1_000_000L, minRtt);
        long x0 = w.peekLast().t3();
        long y0 = w.peekLast().offsetNanos();
        int n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        for (Sample s : w) {
            if (s.rttNanos() > rttCap) {
                continue;
            }
            double x = s.t3() - x0;
            double y = s.offsetNanos() - y0;
            first = Double.isNaN(first) ? x : first;
            last = x;
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        if (n < MIN_RATE_SAMPLES || last - first < MIN_RATE_SPAN_MS * 1e6) {
            return null;
        }
        double den = n * sxx - sx * sx;
        if (den <= 0) {
            return null;
        }
        double slope = (n * sxy - sx * sy) / den;
        return Math.abs(slope) > MAX_RATE ? null : new double[] {slope, (sy - slope * sx) / n};
    }

    /**
     * The rate of {@code peerId}'s clock against this node's: the slope of its offset over this node's
     * time (dimensionless; {@code +0.01} = the peer gains 10 ms a second on this node, i.e. this node
     * runs about 1 % slow against it). Empty until its window is long enough to fit.
     */
    public synchronized OptionalDouble peerRate(String peerId) {
        ArrayDeque<Sample> w = peers.get(peerId);
        if (w == null) {
            return OptionalDouble.empty();
        }
        double slope = slope(w);
        return Double.isNaN(slope) ? OptionalDouble.empty() : OptionalDouble.of(slope);
    }

    /**
     * This node's rate error against the cluster: minus the median of {@code {0 (this node)} ∪ the fresh
     * peers' {@link #peerRate}} (positive = this node's clock runs fast), the middle value nearer zero on
     * an even count, as for the offset: with three members one drifting clock moves only its own figure.
     * Empty when no fresh peer has a fitted rate.
     */
    public synchronized OptionalDouble localRate(long nowEpochNanos) {
        List<Double> rates = new ArrayList<>();
        for (ArrayDeque<Sample> w : peers.values()) {
            if (fresh(w, nowEpochNanos)) {
                double slope = slope(w);
                if (!Double.isNaN(slope)) {
                    rates.add(slope);
                }
            }
        }
        if (rates.isEmpty()) {
            return OptionalDouble.empty();
        }
        rates.add(0.0); // this node, as in the offset: one bad peer out of two must not move a true clock
        rates.sort(null);
        int n = rates.size();
        double median = rates.get(n / 2);
        if (n % 2 == 0 && Math.abs(rates.get(n / 2 - 1)) < Math.abs(median)) {
            median = rates.get(n / 2 - 1);
        }
        return OptionalDouble.of(-median);
    }

    /**
     * Whether this clock may drive the beat, with {@code boundNanos} the largest offset allowed between
     * two clocks and {@code clusterSize} the voting members (this node included). See the class comment;
     * a one-member cluster is always trusted.
     *
     * <p>Each peer is judged on the larger of its offset now and {@link #JUDGE_AHEAD_MS} from now along
     * its fitted rate; a skewed verdict reports the judged offsets' median.
     *
     * @param nowEpochNanos now on this node's clock, epoch nanoseconds
     */
    public synchronized ClockVerdict assess(long nowEpochNanos, long boundNanos, int clusterSize) {
        if (boundNanos < 0 || clusterSize < 1) {
            throw new IllegalArgumentException("bound must be >= 0 and cluster size >= 1: " + boundNanos + ", "
                    + clusterSize);
        }
        Map<String, Long> fresh = new HashMap<>();
        Map<String, Long> judged = new HashMap<>(); // the offset now or a second ahead, whichever is larger
        for (Map.Entry<String, ArrayDeque<Sample>> e : peers.entrySet()) {
            if (fresh(e.getValue(), nowEpochNanos)) {
                long now = offsetAt(e.getValue(), nowEpochNanos);
                long ahead = offsetAt(e.getValue(), nowEpochNanos + JUDGE_AHEAD_MS * 1_000_000);
                fresh.put(e.getKey(), now);
                judged.put(e.getKey(), Math.abs(ahead) > Math.abs(now) ? ahead : now);
            }
        }
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

    /** Drops every sample of {@code peerId}. */
    public synchronized void forget(String peerId) {
        peers.remove(peerId);
    }

    /**
     * Drops the peers that are not fresh at {@code nowEpochNanos} (epoch nanoseconds, this node's clock).
     *
     * @return how many peers were dropped
     */
    public synchronized int forgetStale(long nowEpochNanos) {
        int before = peers.size();
        peers.values().removeIf(w -> !fresh(w, nowEpochNanos));
        return before - peers.size();
    }

    private boolean fresh(ArrayDeque<Sample> w, long nowEpochNanos) {
        return !w.isEmpty() && Math.abs(nowEpochNanos - w.peekLast().t3()) <= maxAgeNanos;
    }

    private Sample best(String peerId) {
        return best(peers.get(peerId));
    }

    private static Sample best(ArrayDeque<Sample> w) {
        Sample best = null;
        if (w != null) {
            for (Sample s : w) {
                if (best == null || s.rttNanos() <= best.rttNanos()) {
                    best = s;
                }
            }
        }
        return best;
    }
}
