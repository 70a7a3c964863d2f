package io.backbeat.client;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.GridPosition;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.WindowId;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.internal.FrameGate;
import io.backbeat.client.internal.LaneExecutor;
import io.backbeat.client.internal.ListenerSlot;
import io.backbeat.client.internal.PhaseTimings;
import io.backbeat.client.internal.NatsTransport;
import io.backbeat.client.spi.BeatClock;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.hlc.HybridLogicalClock;
import io.nats.client.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A service's connection to the cluster beat.
 *
 * <pre>{@code
 * try (BeatClient client = BeatClient.builder("chorus-aus-01").natsServers("nats://127.0.0.1:4222").build()) {
 *     client.addListener(new BeatListener() {
 *         public void onExecute(BeatContext ctx) {
 *             ctx.deadline().runWithin(() -> doWork(ctx.beatIndex()));
 *             ctx.report(ClaimState.COMPLETED, null);
 *         }
 *     });
 *     ...
 * }
 * }</pre>
 *
 * <p>On {@link Builder#build()} the client connects, asks {@code backbeat.{cluster}.timeline} for
 * the grid and follows {@code backbeat.{cluster}.beat}. Frames are validated ({@link DropReason});
 * accepted ones drive the listeners. When no frame comes for a phase plus the grace period, the
 * client derives phases from the grid on its own clock ({@link BeatContext#degraded()}), and adopts
 * the leader's frames again when they return. Every listener sees each (beat, phase) at most once
 * and never backwards.
 *
 * <p>Threads: one transport thread (jnats' dispatcher) validates frames; one daemon thread
 * {@code backbeat-grid-<cluster>} keeps the local grid; listener callbacks run on a small pool of
 * daemon threads {@code backbeat-listener-N-M}, serialised per listener, that grows when every worker
 * is blocked in a slow listener. Thread-safe.
 */
public final class BeatClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BeatClient.class);
    private static final AtomicInteger LISTENER_THREADS = new AtomicInteger();

    private final String clusterId;
    private final String agentId;
    private final Duration grace;
    private final BusyPolicy busyPolicy;
    private final DispatchMode mode;
    private final BeatClock clock;
    private final BeatTransport transport;
    private final HybridLogicalClock hlc;
    private final FrameGate gate;
    private final java.util.concurrent.Executor callbacks;
    private final LaneExecutor ownedCallbacks;
    private final Thread gridThread;
    private final Duration requestTimeout;
    private final boolean autoReport;

    private final Object lock = new Object();
    private final List<ListenerSlot> slots = new CopyOnWriteArrayList<>();
    private final LongAdder received = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder dispatched = new LongAdder();
    private final LongAdder derived = new LongAdder();
    private final LongAdder listenerErrors = new LongAdder();
    private final LongAdder skippedBusy = new LongAdder();
    private final LongAdder degradations = new LongAdder();
    private final LongAdder recoveries = new LongAdder();
    private final LongAdder tasks = new LongAdder();
    private final PhaseTimings timings = new PhaseTimings();
    private final AtomicBoolean requestInFlight = new AtomicBoolean();
    private volatile boolean closed;

    // guarded by lock
    private volatile Timeline timeline;
    private long cursorBeat = Long.MIN_VALUE;
    private int cursorPhase = -1;
    private long lastFrameBeat = Long.MIN_VALUE;
    private int lastFramePhase = -1;
    private long lastFrameEpoch;
    private final long startedEpoch;
    private volatile boolean degraded;
    private volatile long lastCorrectionNanos;
    private volatile long lastFrameLagNanos;
    private final java.util.List<java.util.function.LongConsumer> lagObservers =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long term = -1;
    private volatile String leaderId = "";
    private volatile double tempoBpm;
    private long lastRequestNanoTime = Long.MIN_VALUE / 2;
    private long lastTermProbeNanos = Long.MIN_VALUE / 2;
    private byte[] heldFrame;
    private final java.util.concurrent.CountDownLatch gridReady = new java.util.concurrent.CountDownLatch(1);

    private BeatClient(Builder b) {
        this.clusterId = b.clusterId;
        this.agentId = b.agentId != null ? b.agentId : "client-" + UUID.randomUUID().toString().substring(0, 8);
        this.grace = b.grace;
        this.busyPolicy = b.busyPolicy;
        this.mode = b.dispatchMode;
        this.clock = b.clock;
        this.requestTimeout = b.requestTimeout;
        this.autoReport = b.autoReport;
        this.hlc = HybridLogicalClock.builder(agentId).maxOffset(b.hlcMaxOffset)
                .physicalClock(() -> Math.floorDiv(clock.epochNanos(), 1_000_000L)).build();
        this.gate = new FrameGate(clusterId, hlc);
        this.ownedCallbacks = b.callbackExecutor == null
                ? new LaneExecutor("backbeat-listener-" + LISTENER_THREADS.incrementAndGet() + "-") : null;
        this.callbacks = b.callbackExecutor != null ? b.callbackExecutor : ownedCallbacks;
        this.startedEpoch = clock.epochNanos();
        try {
            if (b.transport != null && !b.verifyKeys.isEmpty()) {
                throw new IllegalArgumentException("verifySignatures works with the built-in NATS transport only");
            }
            this.transport = b.transport != null ? b.transport
                    : b.connection != null ? NatsTransport.using(b.connection)
                    : NatsTransport.connect(b.servers, "backbeat-client-" + agentId);
            if (!b.verifyKeys.isEmpty()) {
                ((NatsTransport) transport).verifying(new io.backbeat.client.internal.SignatureCheck(b.verifyKeys));
            }
        } catch (IOException e) {
            if (ownedCallbacks != null) {
                ownedCallbacks.close();
            }
            throw new UncheckedIOException("cannot connect to NATS at " + String.join(",", b.servers) + ": "
                    + e.getMessage(), e);
        }
        this.gridThread = new Thread(this::gridLoop, "backbeat-grid-" + clusterId);
        this.gridThread.setDaemon(true);
        transport.subscribeBeats(clusterId, this::onPayload);
        requestDescriptor();
        gridThread.start();
        try {
            // build() returns with the local grid running (and, on a virtual clock, asleep on it)
            gridReady.await(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A builder for a client of {@code clusterId}. */
    public static Builder builder(String clusterId) {
        return new Builder(clusterId);
    }

    /** The cluster this client follows. */
    public String clusterId() {
        return clusterId;
    }

    /** The id this client reports status claims under. */
    public String agentId() {
        return agentId;
    }

    /** The grid as last learned from the pulse, or {@code null} before it is known. */
    public TimelineDescriptor descriptor() {
        Timeline t = timeline;
        return t == null ? null : t.descriptor();
    }

    /** This client's hybrid logical clock (merged with every accepted frame). */
    public HybridLogicalClock hlc() {
        return hlc;
    }

    /** {@code true} while phases are derived locally because the pulse is silent. */
    public boolean isDegraded() {
        return degraded;
    }

    /** Adds a listener; it receives phases from the next one on. Returns a handle that removes it. */
    public Registration addListener(BeatListener listener) {
        Objects.requireNonNull(listener, "listener");
        ListenerSlot slot = new ListenerSlot(listener, callbacks, busyPolicy, listenerErrors, skippedBusy, timings);
        slots.add(slot);
        return () -> {
            slot.remove();
            slots.remove(slot);
        };
    }

    /**
     * Adds an observer of every accepted frame's lag: its arrival minus its grid phase start on this
     * client's clock, nanoseconds, signed (negative = the frame came early). Called on the NATS
     * dispatcher thread: it must be quick and must not throw (a throw is counted as a listener error).
     * {@link io.backbeat.client.metrics.BeatClientMetrics} uses it for its histograms.
     */
    public Registration addFrameLagObserver(java.util.function.LongConsumer observer) {
        Objects.requireNonNull(observer, "observer");
        lagObservers.add(observer);
        return () -> lagObservers.remove(observer);
    }

    /** Handle of an added listener. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        /** Removes the listener; a callback already running completes. */
        @Override
        void close();
    }

    /** A snapshot of the counters. */
    public ClientStats stats() {
        java.util.Map<DropReason, Long> drops = new java.util.EnumMap<>(gate.drops());
        drops.merge(DropReason.SIGNATURE, transport.signatureRejects(), Long::sum);
        return new ClientStats(received.sum() + transport.signatureRejects(), accepted.sum(), drops, dispatched.sum(),
                derived.sum(),
                listenerErrors.sum(), skippedBusy.sum(), degraded, degradations.sum(), recoveries.sum(),
                lastCorrectionNanos, lastFrameLagNanos, term, leaderId, tempoBpm);
    }

    /** Phase callbacks run, across listeners. */
    public long callbacksRun() {
        return timings.count();
    }

    /** Phase callbacks that were still running when their phase ended. */
    public long callbacksPastDeadline() {
        return timings.missed();
    }

    /** Total time spent in phase callbacks, nanoseconds. */
    public long callbackNanosTotal() {
        return timings.totalNanos();
    }

    /** Longest phase callback so far, nanoseconds. */
    public long callbackNanosMax() {
        return timings.maxNanos();
    }

    /** Tasks counted by listeners through {@link BeatContext#countTasks}. */
    public long tasksCounted() {
        return tasks.sum();
    }

    // ------------------------------------------------------------------ frames

    private void onPayload(byte[] payload) {
        if (closed) {
            return;
        }
        if (payload.length > 0) {
            received.increment();
        }
        long now = clock.epochNanos();
        synchronized (lock) {
            Timeline grid = timeline;
            FrameGate.Verdict v = gate.accept(payload, now, grid);
            if (!v.accepted()) {
                if (v.dropped() == DropReason.OFF_GRID && heldFrame == null) {
                    // the grid may have changed (a tempo change, a new anchor): refresh it, then judge
                    // this frame once more against the refreshed grid
                    heldFrame = payload;
                    requestDescriptor(true);
                }
                return;
            }
            accepted.increment();
            BeatFrame f = v.frame();
            int phaseIndex = gate.lastPhase();
            long frameDeadline = EpochNanos.of(f.deadlineAt());
            long phaseStart = grid != null ? grid.phaseStartNanos(f.beatIndex(), phaseIndex) : Long.MIN_VALUE;
            if (grid != null) {
                lastFrameLagNanos = now - phaseStart;
                for (java.util.function.LongConsumer o : lagObservers) {
                    try {
                        o.accept(lastFrameLagNanos);
                    } catch (RuntimeException e) {
                        listenerErrors.increment();
                    }
                }
            }
            lastFrameBeat = f.beatIndex();
            lastFramePhase = phaseIndex;
            lastFrameEpoch = now;
            if (v.newTerm() && (grid == null || grid.descriptor().term() < f.term())
                    && clock.nanoTime() - lastTermProbeNanos > 100_000_000L) {
                // a higher term is believed only once the replicated timeline confirms it (one forged
                // frame must not fence the real leader out): ask now (even with a request to a silent
                // pulse still pending), at most every 100 ms
                lastTermProbeNanos = clock.nanoTime();
                requestDescriptor(true);
            }
            if (degraded) {
                long gridDeadline = grid != null ? grid.deadlineNanos(f.beatIndex(), phaseIndex) : frameDeadline;
                // a frame written in (truncated) milliseconds is compared at that precision, a finer one exactly
                long reference = frameDeadline % 1_000_000L == 0 ? Math.floorDiv(gridDeadline, 1_000_000L) * 1_000_000L
                        : gridDeadline;
                long correction = reference - frameDeadline;
                lastCorrectionNanos = correction;
                degraded = false;
                recoveries.increment();
                Duration c = Duration.ofNanos(correction);
                LOG.info("beat frames are back (beat {} {}); local grid was off by {} ns", f.beatIndex(), f.phase(),
                        correction);
                notifyAll(x -> x.onRecovered(c));
            }
            if (grid != null) {
                dispatch(grid.position(f.beatIndex(), phaseIndex), false, f.hlc());
            } else {
                // unknown grid: the frame is the only truth we have; its tempo and phases give the length
                long start = frameDeadline - phaseNanosOf(f, phaseIndex);
                dispatch(new GridPosition(f.beatIndex(), phaseIndex, f.phase(), start, frameDeadline, f.downbeat(),
                        f.tempoBpm()), false, f.hlc());
            }
        }
    }

    /**
     * The length of phase {@code phaseIndex} on a grid of the frame's own tempo and phases (the same
     * {@link Timeline} maths as everywhere; phase lengths do not depend on the anchor); 1 ns when the
     * frame does not say enough.
     */
    private static long phaseNanosOf(BeatFrame f, int phaseIndex) {
        try {
            Timeline g = Timeline.of(TimelineDescriptor.initial(f.clusterId(), 0, f.tempoBpm(),
                    Math.max(1, f.beatsPerBar()), f.phases()));
            return g.deadlineNanos(0, phaseIndex) - g.phaseStartNanos(0, phaseIndex);
        } catch (RuntimeException e) {
            return 1;
        }
    }

    /** Hands (beat, phase) to every listener unless it is not newer than the last one. Holds lock. */
    private void dispatch(GridPosition pos, boolean isDerived, String frameHlc) {
        if (GridPosition.compare(pos.beatIndex(), pos.phaseIndex(), cursorBeat, cursorPhase) <= 0) {
            return;
        }
        cursorBeat = pos.beatIndex();
        cursorPhase = pos.phaseIndex();
        dispatched.increment();
        if (isDerived) {
            derived.increment();
        }
        double old = tempoBpm;
        tempoBpm = pos.tempoBpm();
        if (old != 0 && Double.compare(old, pos.tempoBpm()) != 0) {
            double nw = pos.tempoBpm();
            notifyAll(x -> x.onTempoChange(old, nw));
        }
        long nowEpoch = clock.epochNanos();
        long deadlineNano = clock.nanoTime() + (pos.deadlineNanos() - nowEpoch);
        Context ctx = new Context(pos, isDerived, frameHlc != null ? frameHlc : hlc.now().toString(),
                Math.max(term, 0), leaderId, BeatDeadline.at(clock, deadlineNano));
        for (ListenerSlot s : slots) {
            s.offerPhase(ctx);
        }
    }

    private void notifyAll(Consumer<BeatListener> notice) {
        for (ListenerSlot s : slots) {
            s.offerNotice(notice);
        }
    }

    // ------------------------------------------------------------------ the local grid

    private void gridLoop() {
        while (!closed) {
            try {
                Timeline grid = timeline;
                if (grid == null) {
                    requestDescriptor();
                    long wake = clock.nanoTime() + 50_000_000L;
                    gridReady.countDown();
                    clock.sleepUntil(wake);
                    continue;
                }
                long wakeEpoch;
                synchronized (lock) {
                    long now = clock.epochNanos();
                    GridPosition pos = grid.positionAt(now);
                    long graceNs = grace.toNanos();
                    long expectedStart;
                    if (lastFrameBeat == Long.MIN_VALUE) {
                        // no frame yet: give the pulse one phase plus grace from our start
                        expectedStart = Math.max(grid.positionAt(startedEpoch).deadlineNanos(), startedEpoch);
                    } else {
                        expectedStart = grid.following(grid.position(lastFrameBeat, lastFramePhase)).phaseStartNanos();
                    }
                    boolean silent = now >= expectedStart + graceNs;
                    if (silent && !degraded) {
                        degraded = true;
                        degradations.increment();
                        String why = "no beat frame within " + grace.toMillis() + " ms of the phase start at "
                                + Instant.ofEpochSecond(0, expectedStart) + " (transport "
                                + (transport.isConnected() ? "connected" : "disconnected") + ")";
                        LOG.warn("degraded: {}; deriving phases from the local grid", why);
                        notifyAll(x -> x.onDegraded(why));
                    }
                    if (silent || mode == DispatchMode.GRID) {
                        dispatch(pos, silent, null);
                    }
                    if (silent) {
                        requestDescriptor(); // cheap retry: a pulse may answer while frames are lost
                    }
                    long nextPhase = grid.following(pos).phaseStartNanos();
                    wakeEpoch = (silent || mode == DispatchMode.GRID) ? nextPhase
                            : Math.max(expectedStart + graceNs, now + 1_000_000L);
                    wakeEpoch = Math.min(wakeEpoch, nextPhase + graceNs);
                }
                long wake = clock.nanoTime() + (wakeEpoch - clock.epochNanos());
                gridReady.countDown();
                clock.sleepUntil(wake);
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.error("grid thread error (continuing)", e);
                try {
                    clock.sleepUntil(clock.nanoTime() + 10_000_000L);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void requestDescriptor() {
        requestDescriptor(false);
    }

    private void requestDescriptor(boolean force) {
        long now = clock.nanoTime();
        synchronized (lock) {
            if (closed || (!force && now - lastRequestNanoTime < 100_000_000L)) {
                return;
            }
            lastRequestNanoTime = now;
        }
        if (!requestInFlight.compareAndSet(false, true) && !force) {
            return;
        }
        CompletableFuture<byte[]> reply;
        try {
            // our own timeout: jnats completes an unanswered request only when its cleanup timer runs
            reply = transport.requestTimeline(clusterId, requestTimeout)
                    .orTimeout(requestTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) { // e.g. no responders, disconnected: retried by the grid thread
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((bytes, err) -> {
            requestInFlight.set(false);
            byte[] held;
            synchronized (lock) {
                held = heldFrame;
                heldFrame = null;
            }
            if (err != null || bytes == null || bytes.length == 0) {
                LOG.debug("timeline request failed (retrying): {}", err == null ? "empty reply" : err.toString());
                return;
            }
            try {
                TimelineDescriptor d = BackbeatCodec.decodeDescriptor(bytes);
                if (!d.clusterId().equals(clusterId)) {
                    LOG.warn("timeline reply for cluster {} ignored", d.clusterId());
                    return;
                }
                synchronized (lock) {
                    Timeline cur = timeline;
                    if (cur == null || d.term() >= cur.descriptor().term()) {
                        timeline = Timeline.of(d);
                    }
                    if (gate.confirmTerm(d.term())) {
                        term = d.term();
                        leaderId = d.leaderId();
                        String l = d.leaderId();
                        long t = d.term();
                        notifyAll(x -> x.onLeaderChange(l, t));
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("malformed timeline reply dropped: {}", e.getMessage());
                return;
            }
            if (held != null) {
                synchronized (lock) {
                    heldFrame = new byte[0]; // marks a re-judgement: no second refresh for this frame
                }
                try {
                    onPayload(held);
                } finally {
                    synchronized (lock) {
                        if (heldFrame != null && heldFrame.length == 0) {
                            heldFrame = null;
                        }
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        gridThread.interrupt();
        transport.close();
        if (ownedCallbacks != null) {
            ownedCallbacks.close();
        }
        try {
            gridThread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ context

    private final class Context implements BeatContext {
        private final GridPosition pos;
        private final boolean isDerived;
        private final String hlcText;
        private final long ctxTerm;
        private final String ctxLeader;
        private final BeatDeadline deadline;
        private final AtomicBoolean reported = new AtomicBoolean();

        Context(GridPosition pos, boolean isDerived, String hlcText, long ctxTerm, String ctxLeader,
                BeatDeadline deadline) {
            this.pos = pos;
            this.isDerived = isDerived;
            this.hlcText = hlcText;
            this.ctxTerm = ctxTerm;
            this.ctxLeader = ctxLeader;
            this.deadline = deadline;
        }

        @Override public long beatIndex() { return pos.beatIndex(); }
        @Override public String phase() { return pos.phase(); }
        @Override public int phaseIndex() { return pos.phaseIndex(); }
        @Override public boolean downbeat() { return pos.downbeat(); }
        @Override public String windowId() {
            Timeline t = timeline;
            int bar = t != null ? t.beatsPerBar() : 1;
            return WindowId.of(clusterId, pos.beatIndex(), bar);
        }
        @Override public String hlc() { return hlcText; }
        @Override public double tempoBpm() { return pos.tempoBpm(); }
        @Override public long term() { return ctxTerm; }
        @Override public String leaderId() { return ctxLeader; }
        @Override public boolean degraded() { return isDerived; }
        @Override public Instant phaseStart() { return EpochNanos.toInstant(pos.phaseStartNanos()); }
        @Override public Instant deadlineAt() { return EpochNanos.toInstant(pos.deadlineNanos()); }
        @Override public BeatDeadline deadline() { return deadline; }
        @Override public void countTasks(int n) { tasks.add(n); }

        @Override
        public void report(ClaimState state, String detail) {
            if (!reported.compareAndSet(false, true)) {
                return; // one claim per (beat, phase) and listener context
            }
            long tookMs = Math.max(0, (clock.epochNanos() - pos.phaseStartNanos()) / 1_000_000L);
            ClaimState s = state == ClaimState.COMPLETED && deadline.isExpired() && autoReport ? ClaimState.LATE : state;
            try {
                transport.publishStatus(clusterId, BackbeatCodec.encodeClaim(new StatusClaim(clusterId, agentId,
                        pos.beatIndex(), pos.phase(), s, hlc.now().toString(), tookMs, detail)));
            } catch (RuntimeException e) {
                LOG.debug("status claim not published: {}", e.toString());
            }
        }

        @Override
        public String toString() {
            return "beat=" + pos.beatIndex() + " phase=" + pos.phase() + " degraded=" + isDerived + " term=" + ctxTerm;
        }
    }

    // ------------------------------------------------------------------ builder

    /** Options of a {@link BeatClient}. Every value has a sensible default except the NATS servers. */
    public static final class Builder {
        private final String clusterId;
        private String[] servers = {"nats://127.0.0.1:4222"};
        private Connection connection;
        private BeatTransport transport;
        private String agentId;
        private Duration grace = Duration.ofMillis(250);
        private Duration hlcMaxOffset = Duration.ofMillis(500);
        private Duration requestTimeout = Duration.ofSeconds(1);
        private BusyPolicy busyPolicy = BusyPolicy.QUEUE_ONE;
        private DispatchMode dispatchMode = DispatchMode.FRAME;
        private BeatClock clock = BeatClock.system();
        private boolean autoReport;
        private java.util.concurrent.Executor callbackExecutor;

        private Builder(String clusterId) {
            this.clusterId = ClusterId.requireValid(clusterId);
        }

        /** NATS server URLs (default {@code nats://127.0.0.1:4222}). */
        private java.util.List<String> verifyKeys = java.util.List.of();

        public Builder natsServers(String... urls) {
            if (urls.length == 0) {
                throw new IllegalArgumentException("at least one NATS server URL is required");
            }
            this.servers = urls.clone();
            return this;
        }

        /** Uses an existing jnats connection; the client never closes it. */
        public Builder connection(Connection connection) {
            this.connection = Objects.requireNonNull(connection);
            return this;
        }

        /** A custom transport (the test kit's in-memory pulse, for instance). */
        /**
         * Accept only frames and timeline replies signed by one of these Ed25519 NKey public keys
         * (the cluster's, several during a rotation); others are dropped and counted as
         * {@link DropReason#SIGNATURE}. Needs the built-in NATS transport.
         */
        public Builder verifySignatures(String... publicKeys) {
            this.verifyKeys = java.util.List.of(publicKeys);
            new io.backbeat.client.internal.SignatureCheck(this.verifyKeys); // a bad key fails here, naming it
            return this;
        }

        public Builder transport(BeatTransport transport) {
            this.transport = Objects.requireNonNull(transport);
            return this;
        }

        /** The id status claims are reported under (default {@code client-<random>}). */
        public Builder agentId(String agentId) {
            if (agentId == null || agentId.isBlank()) {
                throw new IllegalArgumentException("agent id must not be blank");
            }
            this.agentId = agentId;
            return this;
        }

        /** How long after a phase should have started before the client derives it itself (default 250 ms). */
        public Builder grace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("grace must be >= 0, got " + grace);
            }
            this.grace = grace;
            return this;
        }

        /** Largest accepted lead of a frame's HLC over the local clock (default 500 ms). */
        public Builder hlcMaxOffset(Duration maxOffset) {
            this.hlcMaxOffset = maxOffset;
            return this;
        }

        /** Timeout of a timeline request (default 1 s). */
        public Builder requestTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("request timeout must be > 0, got " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /** What happens when a listener is still busy as its next phase starts (default QUEUE_ONE). */
        public Builder busyPolicy(BusyPolicy policy) {
            this.busyPolicy = Objects.requireNonNull(policy);
            return this;
        }

        /** When callbacks fire (default FRAME). */
        public Builder dispatchMode(DispatchMode mode) {
            this.dispatchMode = Objects.requireNonNull(mode);
            return this;
        }

        /** Report COMPLETED claims made after the deadline as LATE (default off). */
        public Builder markLateClaims(boolean on) {
            this.autoReport = on;
            return this;
        }

        /**
         * Where listener callbacks run (default: a pool of daemon threads that adds workers within
         * ~250 µs when all are blocked, so a slow listener never holds up another). The test kit passes a direct executor for deterministic tests;
         * an executor with fewer threads than slow listeners gives up that isolation.
         */
        public Builder callbackExecutor(java.util.concurrent.Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor);
            return this;
        }

        /** The clocks (default system clocks; the test kit passes a virtual one). */
        public Builder clock(BeatClock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * Connects and starts following the beat.
         *
         * @throws UncheckedIOException when the NATS servers cannot be reached
         */
        public BeatClient build() {
            return new BeatClient(this);
        }
    }
}
