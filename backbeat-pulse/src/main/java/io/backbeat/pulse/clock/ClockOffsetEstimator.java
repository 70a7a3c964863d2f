package io.backbeat.pulse.clock;

import java.time.Duration;
import java.util.ArrayList;
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
 * <p>Each peer's window is a {@link PeerWindow}; the majority rule of the verdict is
 * {@link MajorityVerdict}. Thread-safe: every method synchronizes on this instance.
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

    private final int window;
    private final long maxAgeNanos;
    private final long maxRttNanos;
    private final Map<String, PeerWindow> peers = new HashMap<>();
    private final MajorityVerdict verdicts = new MajorityVerdict();

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
        return add(peerId, t0, t1, t2, t3, PeerWindow.NO_MONO);
    }

    /**
     * As {@link #add(String, long, long, long, long)}, with this node's wall clock minus its monotonic
     * clock at {@code t3} ({@code t3 - nanoTime at t3}), so {@link #assess(long, long, long, int)} can
     * follow a step of the local wall clock made after the exchange.
     */
    public synchronized boolean add(String peerId, long t0, long t1, long t2, long t3, long t3WallMinusMono) {
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
        peers.computeIfAbsent(peerId, k -> new PeerWindow(window, maxAgeNanos)).add(offset, rtt, t3, t3WallMinusMono);
        return true;
    }

    /**
     * The peer's clock minus this node's, nanoseconds (positive = peer ahead), from its minimum-RTT
     * sample, or from the fitted line at the peer's newest sample once a rate is fitted.
     */
    public synchronized OptionalLong peerOffsetNanos(String peerId) {
        PeerWindow w = peers.get(peerId);
        return w == null || w.isEmpty() ? OptionalLong.empty() : OptionalLong.of(w.offsetAt(w.newestT3()));
    }

    /** The round trip of the sample {@link #peerOffsetNanos} uses, nanoseconds. */
    public synchronized OptionalLong peerRttNanos(String peerId) {
        PeerWindow w = peers.get(peerId);
        PeerWindow.Sample s = w == null ? null : w.best();
        return s == null ? OptionalLong.empty() : OptionalLong.of(s.rttNanos());
    }

    /**
     * Every known peer's offset (peer clock minus this node's, nanoseconds), fresh or not; an
     * immutable copy.
     */
    public synchronized Map<String, Long> peerOffsets() {
        Map<String, Long> out = new HashMap<>();
        for (Map.Entry<String, PeerWindow> e : peers.entrySet()) {
            out.put(e.getKey(), e.getValue().offsetAt(e.getValue().newestT3()));
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
        for (PeerWindow w : peers.values()) {
            if (w.fresh(nowEpochNanos)) {
                offsets.add(w.offsetAt(nowEpochNanos));
            }
        }
        return offsets.isEmpty() ? OptionalLong.empty() : MajorityVerdict.medianNearerZero(offsets);
    }

    /**
     * The rate of {@code peerId}'s clock against this node's: the slope of its offset over this node's
     * time (dimensionless; {@code +0.01} = the peer gains 10 ms a second on this node, i.e. this node
     * runs about 1 % slow against it). Empty until its window is long enough to fit.
     */
    public synchronized OptionalDouble peerRate(String peerId) {
        PeerWindow w = peers.get(peerId);
        if (w == null) {
            return OptionalDouble.empty();
        }
        double slope = w.slope();
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
        for (PeerWindow w : peers.values()) {
            if (w.fresh(nowEpochNanos)) {
                double slope = w.slope();
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
     * <p>Each peer is judged on the largest of its offset now, {@link #JUDGE_AHEAD_MS} from now along
     * its fitted rate, and its newest exchange's offset less half that exchange's round trip (a floor
     * that holds whatever the path's asymmetry, so a clock that just began to run away is caught even
     * while the fit still trails); a skewed verdict reports the judged offsets' median. Without a
     * monotonic reading a step of this node's wall clock shows only at the next exchange.
     *
     * @param nowEpochNanos now on this node's clock, epoch nanoseconds
     */
    public synchronized ClockVerdict assess(long nowEpochNanos, long boundNanos, int clusterSize) {
        return assess(nowEpochNanos, PeerWindow.NO_MONO, boundNanos, clusterSize);
    }

    /**
     * As {@link #assess(long, long, int)}, with this node's wall clock minus its monotonic clock now: each
     * peer's newest exchange is carried to now by the step this node's wall clock has made against the
     * monotonic clock since it (samples fed with that reading only), so a wall clock that jumps past the
     * bound is judged at once, not at the next exchange.
     *
     * @param nowWallMinusMono {@code nowEpochNanos - System.nanoTime()} read together
     */
    public synchronized ClockVerdict assess(long nowEpochNanos, long nowWallMinusMono, long boundNanos,
                                            int clusterSize) {
        if (boundNanos < 0 || clusterSize < 1) {
            throw new IllegalArgumentException("bound must be >= 0 and cluster size >= 1: " + boundNanos + ", "
                    + clusterSize);
        }
        Map<String, Long> fresh = new HashMap<>();
        // the offset now, a second ahead, or the newest exchange's floor, whichever is largest
        Map<String, Long> judged = new HashMap<>();
        for (Map.Entry<String, PeerWindow> e : peers.entrySet()) {
            if (e.getValue().fresh(nowEpochNanos)) {
                long now = e.getValue().offsetAt(nowEpochNanos);
                long ahead = e.getValue().offsetAt(nowEpochNanos + JUDGE_AHEAD_MS * 1_000_000);
                fresh.put(e.getKey(), now);
                long judge = Math.abs(ahead) > Math.abs(now) ? ahead : now;
                long floor = e.getValue().newestFloor(nowWallMinusMono); // the newest exchange, carried to now
                judged.put(e.getKey(), Math.abs(floor) > Math.abs(judge) ? floor : judge);
            }
        }
        return verdicts.decide(fresh, judged, boundNanos, clusterSize);
    }

    /**
     * Every peer's window as evidence for a log line ({@code peer: now, floor, rate, samples as
     * offset/rtt@age}, milliseconds and seconds relative to {@code nowEpochNanos}), peers in name order.
     */
    public synchronized String describe(long nowEpochNanos) {
        StringBuilder b = new StringBuilder();
        peers.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(e.getKey()).append(": ").append(e.getValue().describe(nowEpochNanos));
        });
        return b.length() == 0 ? "no peer measured" : b.toString();
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
        peers.values().removeIf(w -> !w.fresh(nowEpochNanos));
        return before - peers.size();
    }
}
