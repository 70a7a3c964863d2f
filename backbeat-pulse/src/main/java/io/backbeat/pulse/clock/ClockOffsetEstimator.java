package io.backbeat.pulse.clock;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * <p>Thread-safe: every method synchronizes on this instance.
 */
public final class ClockOffsetEstimator {
    /** Samples kept per peer by {@link #ClockOffsetEstimator()}. */
    public static final int DEFAULT_WINDOW = 8;
    /** Sample age after which a sample is forgotten and a silent peer stops being fresh. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(5);
    /** Largest round trip accepted. */
    public static final Duration DEFAULT_MAX_RTT = Duration.ofSeconds(1);

    private record Sample(long offsetNanos, long rttNanos, long t3) {
    }

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

    /** The peer's clock minus this node's, nanoseconds (positive = peer ahead), from its minimum-RTT sample. */
    public synchronized OptionalLong peerOffsetNanos(String peerId) {
        Sample s = best(peerId);
        return s == null ? OptionalLong.empty() : OptionalLong.of(s.offsetNanos());
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
        for (String peer : peers.keySet()) {
            out.put(peer, best(peer).offsetNanos());
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
        offsets.add(0L);
        for (Map.Entry<String, ArrayDeque<Sample>> e : peers.entrySet()) {
            if (fresh(e.getValue(), nowEpochNanos)) {
                offsets.add(best(e.getKey()).offsetNanos());
            }
        }
        if (offsets.size() == 1) {
            return OptionalLong.empty();
        }
        offsets.sort(null);
        int n = offsets.size();
        long median = offsets.get(n / 2);
        if (n % 2 == 0 && Math.abs(offsets.get(n / 2 - 1)) < Math.abs(median)) {
            median = offsets.get(n / 2 - 1);
        }
        return OptionalLong.of(-median);
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
        ArrayDeque<Sample> w = peers.get(peerId);
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
