package io.backbeat.api;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.OptionalDouble;

/**
 * The local clock's <b>rate error</b> against a reference clock, from one-way observations: each
 * observation is a local instant and the <em>lag</em> of something the reference stamped or
 * scheduled (a frame's arrival minus its grid instant). Lag is network delay plus the clocks'
 * offset; delay varies from frame to frame but its floor does not, and the offset grows by the rate
 * error every second. So the estimator keeps the smallest lag per {@code bucket} (the delay floor)
 * over a sliding {@code window} and fits a least-squares line through those minima: its slope is the
 * rate error. Positive = the local clock runs fast ({@code 0.01}: it gains 10 ms a second, a
 * 1 % drift); a slope is reported only once the minima span {@code minSpan}.
 *
 * <p>Pure: no threads, no clock reads; instants are passed in (epoch or monotonic nanoseconds, the
 * same kind throughout). Reset it when the reference changes (a new leader's clock has its own
 * offset: the lag steps). Thread-safe.
 */
public final class DriftEstimator {
    private record Bucket(long index, long atNanos, long lagNanos) {
    }

    private final long windowNanos;
    private final long bucketNanos;
    private final long minSpanNanos;
    private final ArrayDeque<Bucket> buckets = new ArrayDeque<>();

    /** A 60 s window of 1 s buckets, a slope once they span 10 s. */
    public static DriftEstimator defaults() {
        return new DriftEstimator(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    /**
     * @param window  how far back observations count, relative to the newest; positive
     * @param bucket  the span over which only the smallest lag is kept; positive, at most the window
     * @param minSpan how far apart the oldest and newest kept minima must be before a slope is given
     */
    public DriftEstimator(Duration window, Duration bucket, Duration minSpan) {
        if (window.isNegative() || window.isZero() || bucket.isNegative() || bucket.isZero()
                || bucket.compareTo(window) > 0 || minSpan.isNegative() || minSpan.compareTo(window) > 0) {
            throw new IllegalArgumentException("need 0 < bucket <= window and 0 <= minSpan <= window: window=" + window
                    + " bucket=" + bucket + " minSpan=" + minSpan);
        }
        this.windowNanos = window.toNanos();
        this.bucketNanos = bucket.toNanos();
        this.minSpanNanos = minSpan.toNanos();
    }

    /**
     * One observation at local instant {@code atNanos} with lag {@code lagNanos} (local receipt minus the
     * reference's instant for it). Observations older than the newest bucket's start are ignored.
     */
    public synchronized void add(long atNanos, long lagNanos) {
        long index = Math.floorDiv(atNanos, bucketNanos);
        Bucket last = buckets.peekLast();
        if (last != null && index < last.index()) {
            if (last.index() - index > windowNanos / bucketNanos + 1) {
                buckets.clear(); // the local clock stepped back: start again
            } else {
                return;
            }
        }
        if (last != null && index == last.index()) {
            if (lagNanos < last.lagNanos()) {
                buckets.pollLast();
                buckets.addLast(new Bucket(index, atNanos, lagNanos));
            }
        } else {
            buckets.addLast(new Bucket(index, atNanos, lagNanos));
        }
        while (!buckets.isEmpty() && atNanos - buckets.peekFirst().atNanos() > windowNanos) {
            buckets.pollFirst();
        }
    }

    /** The rate error (slope of the lag floor over local time; positive = local clock fast), once fitted. */
    public synchronized OptionalDouble rate() {
        if (buckets.size() < 3 || buckets.peekLast().atNanos() - buckets.peekFirst().atNanos() < minSpanNanos) {
            return OptionalDouble.empty();
        }
        long x0 = buckets.peekLast().atNanos();
        long y0 = buckets.peekLast().lagNanos();
        double n = buckets.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Bucket b : buckets) {
            double x = b.atNanos() - x0;
            double y = b.lagNanos() - y0;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double den = n * sxx - sx * sx;
        return den <= 0 ? OptionalDouble.empty() : OptionalDouble.of((n * sxy - sx * sy) / den);
    }

    /** Buckets held. */
    public synchronized int buckets() {
        return buckets.size();
    }

    /** Forgets every observation (the reference clock changed). */
    public synchronized void reset() {
        buckets.clear();
    }
}
