package io.backbeat.pulse.clock;

import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochClock;
import io.backbeat.api.SchedulingClock;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures this pulse node's clock against its peers' over NATS, NTP-style.
 *
 * <p>Every node subscribes to {@code backbeat.{cluster}.clock} and answers each probe from another
 * node with its node id, {@code t1} (probe received) and {@code t2} (reply sent), epoch
 * nanoseconds on its {@link EpochClock}. Every {@code interval} (default 500 ms) the node publishes
 * a probe carrying its node id and {@code t0}, with a reply subject {@code <inbox>.<seq>} under one
 * wildcard inbox subscription, so every peer's reply comes back; {@code t3} is stamped on arrival
 * and the exchange is fed to a {@link ClockOffsetEstimator}. All time reads go through the injected
 * clock. When it is a {@link SchedulingClock} its monotonic side is read with each exchange and each
 * verdict, so a step of the wall clock (an operator's {@code date -s}, a libfaketime reload) is judged
 * at once rather than at the next exchange.
 *
 * <p>Probes go out from one daemon thread, {@code backbeat-clock-<node>}, on absolute deadlines on
 * {@code System.nanoTime} (a late tick is skipped, never bursted). Malformed probes and replies are
 * dropped and counted ({@link #malformed()}); nothing is thrown out of the NATS dispatcher and no
 * failure stops the probing. The connection is the caller's: {@link #close()} leaves it open.
 */
public final class ClockSync implements ClockJudge, AutoCloseable {
    /** Probe interval of the short constructor. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);
    private static final Logger LOG = LoggerFactory.getLogger(ClockSync.class);

    private final Connection nats;
    private final String subject;
    private final String nodeId;
    private final byte[] nodeIdBytes;
    private final EpochClock clock;
    private final SchedulingClock mono; // the same clock when it has a monotonic side, else null
    private final long intervalNanos;
    private final int probesKept;
    private final ClockOffsetEstimator estimator;
    private final String inbox;
    private final Map<Long, Long> pending = new ConcurrentHashMap<>(); // seq -> t0, probes awaiting replies
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Thread prober;
    private volatile boolean closed;
    /** Each peer's last reply: when ({@code System.nanoTime}) and the log position it told (or null). */
    private final Map<String, Heard> heard = new ConcurrentHashMap<>();
    /** Replies older than this are dropped from {@link #heard} at each probe (forged ids cannot pile up). */
    private static final long HEARD_KEPT_NANOS = 10_000_000_000L;
    private volatile java.util.function.Supplier<java.util.Optional<io.backbeat.consensus.LogPosition>> logPosition =
            java.util.Optional::empty;

    private record Heard(long nanos, io.backbeat.consensus.LogPosition log) {
    }
    private Dispatcher dispatcher;
    private long seq; // prober thread only

    /** With {@link #DEFAULT_INTERVAL}. */
    public ClockSync(Connection nats, String clusterId, String nodeId, EpochClock clock) {
        this(nats, clusterId, nodeId, clock, DEFAULT_INTERVAL);
    }

    /**
     * An estimator keeping 8 samples per peer for {@code max(5 s, 4 intervals)}, round trips up to 1 s.
     *
     * @param interval time between probes, positive
     */
    public ClockSync(Connection nats, String clusterId, String nodeId, EpochClock clock, Duration interval) {
        this(nats, clusterId, nodeId, clock, interval, new ClockOffsetEstimator(ClockOffsetEstimator.DEFAULT_WINDOW,
                max(ClockOffsetEstimator.DEFAULT_MAX_AGE, interval.multipliedBy(4)), ClockOffsetEstimator.DEFAULT_MAX_RTT));
    }

    /** With a caller-tuned estimator (which this instance then feeds and prunes). */
    public ClockSync(Connection nats, String clusterId, String nodeId, EpochClock clock, Duration interval,
                     ClockOffsetEstimator estimator) {
        this.nats = Objects.requireNonNull(nats, "nats");
        this.subject = "backbeat." + ClusterId.requireValid(clusterId) + ".clock";
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.nodeIdBytes = ClockWire.nodeIdBytes(nodeId);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.mono = clock instanceof SchedulingClock sc ? sc : null;
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        this.intervalNanos = interval.toNanos();
        // keep the probes a reply within the largest accepted round trip may still answer
        this.probesKept = (int) Math.min(1024, ClockOffsetEstimator.DEFAULT_MAX_RTT.toNanos() / intervalNanos + 2);
        this.estimator = Objects.requireNonNull(estimator, "estimator");
        this.inbox = nats.createInbox();
        this.prober = new Thread(this::run, "backbeat-clock-" + nodeId);
        prober.setDaemon(true);
    }

    /** Subscribes and starts probing; returns this. */
    public synchronized ClockSync start() {
        if (dispatcher != null || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        dispatcher = nats.createDispatcher();
        dispatcher.subscribe(subject, this::onProbe);
        dispatcher.subscribe(inbox + ".*", this::onReply);
        prober.start();
        return this;
    }

    /**
     * This node's clock minus the cluster's median clock, nanoseconds; positive = this node is ahead.
     * Empty until a peer has answered (and again once every peer has been silent for the estimator's
     * max age). See {@link ClockOffsetEstimator#localOffsetNanos(long)}.
     */
    public OptionalLong offsetNanos() {
        return estimator.localOffsetNanos(clock.epochNanos());
    }

    /**
     * Whether this node's clock may drive the beat; see {@link ClockOffsetEstimator#assess}.
     *
     * @param boundNanos  the largest offset allowed between two clocks
     * @param clusterSize voting members, this node included
     */
    @Override
    public ClockVerdict assess(long boundNanos, int clusterSize) {
        if (mono != null) {
            long[] read = readTogether();
            return estimator.assess(read[0], read[1], boundNanos, clusterSize);
        }
        return estimator.assess(clock.epochNanos(), boundNanos, clusterSize);
    }

    /** This node's clock rate error against its peers (positive = fast; 0.01 = 1 %); see {@link ClockOffsetEstimator#localRate}. */
    @Override
    public java.util.OptionalDouble rate() {
        return estimator.localRate(clock.epochNanos());
    }

    @Override
    public java.util.Set<String> peersOff(long boundNanos, int clusterSize) {
        if (assess(boundNanos, clusterSize).status() != ClockVerdict.Status.TRUSTED) {
            return java.util.Set.of();
        }
        return peerOffsets().entrySet().stream().filter(e -> Math.abs(e.getValue()) > boundNanos)
                .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** Each peer's samples as the estimator holds them; see {@link ClockOffsetEstimator#describe}. */
    @Override
    public String evidence() {
        return estimator.describe(clock.epochNanos());
    }

    /** Each peer's clock minus this node's, nanoseconds (positive = peer ahead); an immutable copy. */
    public Map<String, Long> peerOffsets() {
        return estimator.peerOffsets();
    }

    /**
     * The round trip of the sample behind {@code peerId}'s offset, nanoseconds; half of it bounds that
     * offset's error from path asymmetry.
     */
    public OptionalLong peerRttNanos(String peerId) {
        return estimator.peerRttNanos(peerId);
    }

    /**
     * Tells peers this node's last consensus log entry in every clock reply (see {@link ClockWire}); call
     * before {@link #start()}. Without it replies carry none.
     */
    public ClockSync advertiseLogPosition(
            java.util.function.Supplier<java.util.Optional<io.backbeat.consensus.LogPosition>> position) {
        this.logPosition = java.util.Objects.requireNonNull(position, "position");
        return this;
    }

    @Override
    public Map<String, io.backbeat.consensus.LogPosition> peerLogPositions(long withinNanos) {
        long now = System.nanoTime();
        Map<String, io.backbeat.consensus.LogPosition> out = new java.util.TreeMap<>();
        heard.forEach((peer, h) -> {
            if (now - h.nanos() <= withinNanos && h.log() != null) {
                out.put(peer, h.log());
            }
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Peers with a sample in the estimator (silent ones are dropped each interval once stale). */
    public int peersHeard() {
        return estimator.peerOffsets().size();
    }

    /** Probes and replies dropped as undecodable or inconsistent (no reply subject, t2 before t1, t0 mismatch). */
    public long malformed() {
        return malformed.get();
    }

    /** Well-formed replies not used: too late for their probe, or refused by the estimator (round trip). */
    public long rejected() {
        return rejected.get();
    }

    /** Samples the estimator accepted. */
    public long samples() {
        return samples.get();
    }

    /** Stops probing and unsubscribes. Idempotent; the connection stays open. */
    @Override
    public synchronized void close() {
        closed = true;
        LockSupport.unpark(prober);
        if (prober.isAlive() && Thread.currentThread() != prober) {
            try {
                prober.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (dispatcher != null) {
            try {
                nats.closeDispatcher(dispatcher);
            } catch (RuntimeException e) {
                LOG.debug("closing the clock dispatcher of {}: {}", nodeId, e.toString());
            }
            dispatcher = null;
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (!closed) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait); // re-checks closed and the deadline on any wake-up
                continue;
            }
            probe();
            next += intervalNanos;
            long now = System.nanoTime();
            if (next - now <= 0) {
                next = now + intervalNanos;
            }
        }
    }

    private void probe() {
        try {
            long s = ++seq;
            pending.keySet().removeIf(k -> k <= s - probesKept);
            estimator.forgetStale(clock.epochNanos());
            long now = System.nanoTime();
            heard.values().removeIf(h -> now - h.nanos() > HEARD_KEPT_NANOS);
            long t0 = clock.epochNanos();
            pending.put(s, t0);
            nats.publish(subject, inbox + "." + s, ClockWire.probe(nodeIdBytes, t0));
        } catch (RuntimeException e) { // disconnected, closing: try again next interval
            LOG.debug("clock probe from {} failed: {}", nodeId, e.toString());
        }
    }

    private void onProbe(Message m) {
        long t1 = clock.epochNanos();
        try {
            ClockWire.Probe p = ClockWire.decodeProbe(m.getData());
            if (p == null || m.getReplyTo() == null || m.getReplyTo().isEmpty()) {
                malformed.incrementAndGet();
            } else if (!p.nodeId().equals(nodeId)) {
                java.util.Optional<io.backbeat.consensus.LogPosition> log = logPosition.get();
                nats.publish(m.getReplyTo(), log.isPresent()
                        ? ClockWire.reply(nodeIdBytes, p.t0(), t1, clock.epochNanos(), log.get())
                        : ClockWire.reply(nodeIdBytes, p.t0(), t1, clock.epochNanos()));
            }
        } catch (RuntimeException e) {
            LOG.debug("clock reply from {} failed: {}", nodeId, e.toString());
        }
    }

    private void onReply(Message m) {
        long[] read = mono != null ? readTogether() : null;
        long t3 = read != null ? read[0] : clock.epochNanos();
        try {
            ClockWire.Reply r = ClockWire.decodeReply(m.getData());
            Long probeSeq = seqOf(m.getSubject());
            if (r == null || probeSeq == null || r.t2() < r.t1()) {
                malformed.incrementAndGet();
                return;
            }
            Long t0 = pending.get(probeSeq);
            if (t0 == null) {
                rejected.incrementAndGet();
            } else if (t0 != r.t0()) {
                malformed.incrementAndGet();
            } else if (!r.nodeId().equals(nodeId)) {
                heard.put(r.nodeId(), new Heard(System.nanoTime(), r.log()));
                boolean used = mono != null ? estimator.add(r.nodeId(), t0, r.t1(), r.t2(), t3, read[1])
                        : estimator.add(r.nodeId(), t0, r.t1(), r.t2(), t3);
                (used ? samples : rejected).incrementAndGet();
                if (LOG.isDebugEnabled()) {
                    LOG.debug("clock sample from {}: offset {} ns, rtt {} ns{}", r.nodeId(),
                            ((r.t1() - t0) + (r.t2() - t3)) / 2, (t3 - t0) - (r.t2() - r.t1()), used ? "" : " (refused)");
                }
            }
        } catch (RuntimeException e) {
            malformed.incrementAndGet();
            LOG.debug("clock reply to {} dropped: {}", nodeId, e.toString());
        }
    }

    /**
     * {@code {wall, wall - mono}} read as close together as this thread gets them: the wall clock between
     * two monotonic reads, the closest of up to four tries (a thread descheduled between two reads would
     * otherwise look like a step of the wall clock).
     */
    private long[] readTogether() {
        long bestGap = Long.MAX_VALUE;
        long[] best = null;
        for (int i = 0; i < 4 && bestGap > 100_000; i++) {
            long m1 = mono.nanoTime();
            long wall = clock.epochNanos();
            long m2 = mono.nanoTime();
            if (m2 - m1 < bestGap) {
                bestGap = m2 - m1;
                best = new long[] {wall, wall - (m1 + (m2 - m1) / 2)};
            }
        }
        return best;
    }

    private Long seqOf(String replySubject) {
        try {
            return Long.parseLong(replySubject.substring(inbox.length() + 1));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
