package io.backbeat.pulse.fault;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.codec.BackbeatCodec;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A subscriber outside the pulse cluster: records every frame on {@code backbeat.<cluster>.beat} with
 * its {@link System#nanoTime()} arrival, and answers what users are promised about them.
 */
public final class Observer implements AutoCloseable {

    /**
     * One frame and when it arrived: {@code nanos} on {@link System#nanoTime()}, {@code epochNanos} on this
     * host's wall clock (to compare with the frame's deadline).
     */
    public record Arrival(BeatFrame frame, long nanos, long epochNanos) {
        /** The frame's position on the phase grid: beat × phases + phase index. */
        public long key() {
            int phases = Math.max(1, frame.phases().size());
            return frame.beatIndex() * phases + Math.max(0, frame.phaseIndex());
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "beat %d %s term %d leader %s", frame.beatIndex(), frame.phase(),
                    frame.term(), frame.leaderId());
        }
    }

    private final Connection nc;
    private final List<Arrival> arrivals = new ArrayList<>();
    private final AtomicInteger undecodable = new AtomicInteger();

    private Observer(Connection nc) {
        this.nc = nc;
    }

    /** Connects to {@code natsUrl} and subscribes to the cluster's beat subject. */
    public static Observer connect(String natsUrl, String cluster) throws IOException, InterruptedException {
        // reconnects quickly and forever, so a NATS restart costs the observer no more than the outage
        Connection nc = Nats.connect(new Options.Builder().server(natsUrl).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).connectionName("backbeat-fault-observer").build());
        Observer o = new Observer(nc);
        Dispatcher d = nc.createDispatcher(m -> {
            long now = System.nanoTime();
            Instant wall = Instant.now();
            try {
                BeatFrame f = BackbeatCodec.decodeFrame(m.getData());
                long epoch = wall.getEpochSecond() * 1_000_000_000L + wall.getNano();
                synchronized (o.arrivals) {
                    o.arrivals.add(new Arrival(f, now, epoch));
                    o.arrivals.notifyAll();
                }
            } catch (RuntimeException e) {
                o.undecodable.incrementAndGet();
            }
        });
        d.subscribe(ClusterId.beatSubject(cluster));
        try {
            nc.flush(Duration.ofSeconds(5));
        } catch (TimeoutException e) {
            nc.close();
            throw new IOException("no answer from " + natsUrl + " within 5 s", e);
        }
        return o;
    }

    /** A copy of every arrival so far, in arrival order. */
    public List<Arrival> arrivals() {
        synchronized (arrivals) {
            return new ArrayList<>(arrivals);
        }
    }

    /** Frames received. */
    public int count() {
        synchronized (arrivals) {
            return arrivals.size();
        }
    }

    /** Messages on the beat subject that did not decode as a BeatFrame. */
    public int undecodable() {
        return undecodable.get();
    }

    /** The latest arrival, or {@code null} before the first. */
    public Arrival last() {
        synchronized (arrivals) {
            return arrivals.isEmpty() ? null : arrivals.get(arrivals.size() - 1);
        }
    }

    /** The leader id of the latest frame ({@code ""} before the first). */
    public String currentLeader() {
        Arrival a = last();
        return a == null ? "" : a.frame().leaderId();
    }

    /** The term of the latest frame (-1 before the first). */
    public long currentTerm() {
        Arrival a = last();
        return a == null ? -1 : a.frame().term();
    }

    /** Waits until at least {@code n} frames have arrived in all; {@code false} on timeout. */
    public boolean awaitFrames(int n, Duration timeout) throws InterruptedException {
        return awaitArrival(timeout, list -> list.size() >= n);
    }

    /** Waits for {@code n} frames beyond those already received; {@code false} on timeout. */
    public boolean awaitMoreFrames(int n, Duration timeout) throws InterruptedException {
        int target = count() + n;
        return awaitFrames(target, timeout);
    }

    /** Waits for a frame whose term is above {@code term}; {@code false} on timeout. */
    public boolean awaitTermAbove(long term, Duration timeout) throws InterruptedException {
        return awaitArrival(timeout, list -> list.stream().anyMatch(a -> a.frame().term() > term));
    }

    /** Waits until {@code condition} holds for the arrivals so far; {@code false} on timeout. */
    public boolean awaitArrival(Duration timeout, Predicate<List<Arrival>> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrivals) {
            while (!condition.test(arrivals)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                arrivals.wait(Math.max(1, Math.min(100, left / 1_000_000)));
            }
            return true;
        }
    }

    /** The first frame arriving at or after {@code nanos}, or {@code null}. */
    public Arrival firstAfter(long nanos) {
        for (Arrival a : arrivals()) {
            if (a.nanos() >= nanos) {
                return a;
            }
        }
        return null;
    }

    /** The last frame arriving before {@code nanos}, or {@code null}. */
    public Arrival lastBefore(long nanos) {
        Arrival found = null;
        for (Arrival a : arrivals()) {
            if (a.nanos() < nanos) {
                found = a;
            }
        }
        return found;
    }

    /** Milliseconds from {@code faultNanos} to the first frame arriving after it; -1 when none has. */
    public double gapAfterMs(long faultNanos) {
        Arrival a = firstAfter(faultNanos);
        return a == null ? -1 : (a.nanos() - faultNanos) / 1e6;
    }

    /**
     * Milliseconds from {@code faultNanos} to the first frame arriving after it whose term or leader differs
     * from the last frame before the fault (the replacement leader's first frame); -1 when none has.
     */
    public double gapToNewLeadershipMs(long faultNanos) {
        Arrival before = lastBefore(faultNanos);
        for (Arrival a : arrivals()) {
            if (a.nanos() >= faultNanos && (before == null || a.frame().term() != before.frame().term()
                    || !a.frame().leaderId().equals(before.frame().leaderId()))) {
                return (a.nanos() - faultNanos) / 1e6;
            }
        }
        return -1;
    }

    /**
     * The longest silence in ms within [{@code fromNanos}, {@code toNanos}]: between {@code fromNanos} and the
     * first arrival, between consecutive arrivals, and from the last arrival to {@code toNanos}.
     */
    public double maxSilenceMs(long fromNanos, long toNanos) {
        return longestSilence(fromNanos, toNanos).ms();
    }

    /** A stretch with no arrival, on {@link System#nanoTime()}. */
    public record Silence(long fromNanos, long toNanos) {
        public double ms() {
            return (toNanos - fromNanos) / 1e6;
        }
    }

    /** Where {@link #maxSilenceMs} found the longest silence within [{@code fromNanos}, {@code toNanos}]. */
    public Silence longestSilence(long fromNanos, long toNanos) {
        long prev = fromNanos;
        Silence worst = new Silence(fromNanos, fromNanos);
        for (Arrival a : arrivals()) {
            if (a.nanos() >= fromNanos && a.nanos() <= toNanos) {
                if (a.nanos() - prev > worst.toNanos() - worst.fromNanos()) {
                    worst = new Silence(prev, a.nanos());
                }
                prev = a.nanos();
            }
        }
        return toNanos - prev > worst.toNanos() - worst.fromNanos() ? new Silence(prev, toNanos) : worst;
    }

    /**
     * Frames whose (beat, phase) was already seen, or that go backwards against the highest seen so far,
     * in arrival order (each frame counted once).
     */
    public int duplicateOrBackwardPairs() {
        return duplicateOrBackwardDetails().size();
    }

    /** The frames {@link #duplicateOrBackwardPairs()} counts, described. */
    public List<String> duplicateOrBackwardDetails() {
        return describe(duplicateOrBackwardViolations());
    }

    /** A frame that broke a promise, and how. */
    public record Violation(Arrival arrival, String description) {
    }

    /** The frames {@link #duplicateOrBackwardPairs()} counts, with their arrivals. */
    public List<Violation> duplicateOrBackwardViolations() {
        List<Violation> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long highest = Long.MIN_VALUE;
        Arrival highestAt = null;
        for (Arrival a : arrivals()) {
            long k = a.key();
            if (!seen.add(k)) {
                out.add(new Violation(a, "duplicate " + a));
            } else if (k < highest) {
                out.add(new Violation(a, "backwards " + a + " after " + highestAt));
            }
            if (k > highest) {
                highest = k;
                highestAt = a;
            }
        }
        return out;
    }

    private static List<String> describe(List<Violation> violations) {
        List<String> out = new ArrayList<>();
        for (Violation v : violations) {
            out.add(v.description());
        }
        return out;
    }

    /** Frames arriving after the first frame of a higher term, whose term is lower. */
    public int supersededTermFrames() {
        return supersededTermDetails().size();
    }

    /** The frames {@link #supersededTermFrames()} counts, described. */
    public List<String> supersededTermDetails() {
        return describe(supersededTermViolations());
    }

    /** The frames {@link #supersededTermFrames()} counts, with their arrivals. */
    public List<Violation> supersededTermViolations() {
        List<Violation> out = new ArrayList<>();
        long maxTerm = Long.MIN_VALUE;
        for (Arrival a : arrivals()) {
            if (a.frame().term() < maxTerm) {
                long lateMs = (a.epochNanos() - a.frame().deadlineEpochNanos()) / 1_000_000L;
                out.add(new Violation(a, a + " after term " + maxTerm + " began"
                        + (lateMs > 0 ? ", arriving " + lateMs + " ms after its own deadline" : "")));
            }
            maxTerm = Math.max(maxTerm, a.frame().term());
        }
        return out;
    }

    /** Distinct terms seen, in order of first arrival. */
    public List<Long> terms() {
        List<Long> out = new ArrayList<>();
        for (Arrival a : arrivals()) {
            if (!out.contains(a.frame().term())) {
                out.add(a.frame().term());
            }
        }
        return out;
    }

    /** The arrivals around {@code nanos}, one per line with their offset in ms, for failure messages. */
    public String describeAround(long nanos, int before, int after) {
        return describeAround(nanos, before, after, nanos);
    }

    /** As {@link #describeAround(long, int, int)}, the offsets in ms from {@code zeroNanos} (the fault, say). */
    public String describeAround(long nanos, int before, int after, long zeroNanos) {
        List<Arrival> all = arrivals();
        int i = 0;
        while (i < all.size() && all.get(i).nanos() < nanos) {
            i++;
        }
        StringBuilder sb = new StringBuilder();
        for (int j = Math.max(0, i - before); j < Math.min(all.size(), i + after); j++) {
            Arrival a = all.get(j);
            sb.append(String.format(Locale.ROOT, "  %+9.1f ms  %s%n", (a.nanos() - zeroNanos) / 1e6, a));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
