package io.backbeat.client;

import io.backbeat.api.ClusterId;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.client.internal.FrameGate;
import io.backbeat.client.internal.LaneExecutor;
import io.backbeat.nats.NatsConnectionSettings;
import io.backbeat.client.internal.SignatureCheck;
import io.backbeat.client.membership.NatsMembership;
import io.backbeat.api.BeatClock;
import io.backbeat.client.spi.BeatTransport;
import io.backbeat.hlc.HybridLogicalClock;
import io.nats.client.Connection;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

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
 * <p>{@link Builder#build()} returns at once ({@link ConnectionState#CONNECTING}): the client connects
 * in the background until a NATS server answers, asks {@code backbeat.{cluster}.timeline} for the
 * grid and follows {@code backbeat.{cluster}.beat}; {@link #awaitLive(Duration)} waits for that.
 * Frames are validated ({@link DropReason}); accepted ones drive the listeners. When no frame comes
 * for a phase plus the grace period, the client derives phases from the grid on its own clock
 * ({@link BeatContext#degraded()}), and adopts the leader's frames again when they return. Every
 * listener sees each (beat, phase) at most once and never backwards.
 *
 * <p>Threads (daemons): {@code backbeat-connect-N} while NATS is not reached yet; jnats' dispatcher
 * validates frames; {@code backbeat-grid-<cluster>} keeps the local grid; listener callbacks run
 * on a pool {@code backbeat-listener-N-M}, serialised per listener, that grows (up to
 * {@link Builder#maxListenerThreads(int)}) when every worker is blocked in a slow listener; work
 * handed to {@link BeatDeadline#runWithin(Callable)} runs on {@code backbeat-deadline-N-M}, made on
 * demand. {@link #close()} stops them all. Thread-safe.
 */
public final class BeatClient implements AutoCloseable {
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private final ClientState state;
    private final String agentId;
    private final BeatTransport transport;
    private final HybridLogicalClock hlc;
    private final FrameGate gate;
    private final ClientResources resources;
    private final ClientCounters counters = new ClientCounters();
    private final PhaseDispatcher dispatcher;
    private final TimelineFetcher fetcher;
    private final LocalGrid localGrid;
    private final FrameIntake intake;
    private final StateWatch watch;

    private BeatClient(Builder b) {
        this.state = new ClientState(b.clusterId, b.clock);
        this.agentId = b.agentId != null ? b.agentId : "client-" + UUID.randomUUID().toString().substring(0, 8);
        BeatClock clock = b.clock;
        this.hlc = HybridLogicalClock.builder(agentId).maxOffset(b.hlcMaxOffset)
                .physicalClock(() -> Math.floorDiv(clock.epochNanos(), 1_000_000L)).build();
        this.gate = new FrameGate(b.clusterId, hlc);
        int clientNo = CLIENTS.incrementAndGet();
        long startedEpoch = clock.epochNanos();
        this.resources = new ClientResources(b, agentId, clientNo);
        this.transport = resources.transport;
        Executor callbacks = resources.callbacks;
        Executor deadlineWork = resources.deadlineWork;
        this.dispatcher = new PhaseDispatcher(state, hlc, counters,
                new StatusReporter(b.clusterId, agentId, transport, hlc, clock, b.autoReport), callbacks, b.busyPolicy,
                deadlineWork);
        this.fetcher = new TimelineFetcher(state, transport, b.requestTimeout, gate, dispatcher,
                this::judgeAgain);
        this.localGrid = new LocalGrid(state, b.grace, b.dispatchMode, transport, fetcher, dispatcher, counters,
                startedEpoch);
        this.watch = new StateWatch(this::computeState, callbacks);
        localGrid.onStateChange(watch::check);
        this.intake = new FrameIntake(state, gate, counters, fetcher, localGrid, dispatcher, watch::check);
        transport.subscribeBeats(b.clusterId, intake::onPayload); // made once connected
        boolean onNats = resources.whenConnected(() -> { // at once, or when the background connection is made
            fetcher.requestNow();
            watch.check();
        });
        if (!onNats) {
            fetcher.request();
        }
        // build() returns with the local grid running (and, on a virtual clock, asleep on it)
        localGrid.start();
    }

    /** A frame held off the grid, judged again once the grid is refreshed. */
    private void judgeAgain(byte[] payload) {
        intake.onPayload(payload);
    }

    /** A builder for a client of {@code clusterId}. */
    public static Builder builder(String clusterId) {
        return new Builder(clusterId);
    }

    /** The cluster this client follows. */
    public String clusterId() {
        return state.clusterId;
    }

    /** The id this client reports status claims under. */
    public String agentId() {
        return agentId;
    }

    /** The grid as last learned from the pulse, or {@code null} before it is known. */
    public TimelineDescriptor descriptor() {
        Timeline t = state.timeline;
        return t == null ? null : t.descriptor();
    }

    /** This client's hybrid logical clock (merged with every accepted frame). */
    public HybridLogicalClock hlc() {
        return hlc;
    }

    /**
     * Adds a listener; it receives phases from the next one on. Returns a handle that removes it. A
     * listener added while the client is degraded first gets {@code onDegraded}, so every listener
     * sees {@code onRecovered} only after its own {@code onDegraded}.
     */
    public Registration addListener(BeatListener listener) {
        synchronized (state.lock) { // the degradation and its notice happen under the lock: seen together or not at all
            return dispatcher.addListener(listener, localGrid.degraded() ? localGrid.degradedReason() : null);
        }
    }

    /** Where the client stands now. */
    public ConnectionState state() {
        return watch.current();
    }

    /** Tells {@code listener} of every change of {@link #state()} (on the callback executor, in order). */
    public Registration addStateListener(java.util.function.Consumer<ConnectionState> listener) {
        return watch.add(listener);
    }

    /**
     * Waits until the client is {@link ConnectionState#LIVE}: connected, the grid known and the pulse's
     * frames arriving ({@link #descriptor()} is then not null). A client built while NATS is down
     * keeps connecting in the background; once connected, it rides out outages.
     *
     * @return true when live, false when {@code timeout} passed first or the client was closed
     */
    public boolean awaitLive(Duration timeout) throws InterruptedException {
        return watch.awaitLive(timeout);
    }

    private ConnectionState computeState() {
        if (state.closed) {
            return ConnectionState.CLOSED;
        }
        if (localGrid != null && localGrid.degraded()) {
            return ConnectionState.DEGRADED;
        }
        return state.timeline != null && state.frameAccepted && transport.isConnected()
                ? ConnectionState.LIVE : ConnectionState.CONNECTING;
    }

    /**
     * Adds an observer of every accepted frame's lag: its arrival minus its grid phase start on this
     * client's clock, nanoseconds, signed (negative = the frame came early). Called on the NATS
     * dispatcher thread: it must be quick and must not throw (a throw is counted as a listener error).
     * The Micrometer binder of {@code backbeat-micrometer} uses it for its histograms.
     */
    public Registration addFrameLagObserver(LongConsumer observer) {
        return intake.addLagObserver(observer);
    }

    /** Handle of an added listener. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        /** Removes the listener; a callback already running completes. */
        @Override
        void close();
    }

    /**
     * Joins {@code group} of this client's cluster as {@code memberId} on this client's own NATS
     * connection, no second one (see {@link NatsMembership}): it joins once the client is connected
     * and is closed, saying {@code leave}, by {@link #close()} (or earlier by its own {@code close()}).
     *
     * @throws IllegalStateException when the client does not run on NATS (a custom transport) or is closed
     */
    public NatsMembership membership(String group, String memberId, Duration heartbeat, Duration expiry) {
        return resources.membership(state, group, memberId, heartbeat, expiry);
    }

    /** A snapshot of the counters: frames, drops, dispatch, degradation, callbacks. */
    public ClientStats stats() {
        return counters.snapshot(gate.drops(), transport.signatureRejects(), localGrid.degraded(), state.term,
                state.leaderId, dispatcher.tempoBpm());
    }

    @Override
    public void close() {
        if (state.closed) {
            return;
        }
        state.closed = true;
        localGrid.interrupt();
        resources.close();
        localGrid.join();
        watch.check();
    }

    /** Options of a {@link BeatClient}. Every value has a sensible default except the NATS servers. */
    public static final class Builder {
        private final String clusterId;
        NatsConnectionSettings nats = NatsConnectionSettings.builder("nats://127.0.0.1:4222").build();
        Connection connection;
        BeatTransport transport;
        private String agentId;
        private Duration grace; // null: fits the tempo (a quarter of the phase, at most 250 ms)
        private Duration hlcMaxOffset = Duration.ofMillis(500);
        private Duration requestTimeout = Duration.ofSeconds(1);
        private BusyPolicy busyPolicy = BusyPolicy.QUEUE_ONE;
        private DispatchMode dispatchMode = DispatchMode.FRAME;
        private BeatClock clock = BeatClock.system();
        private boolean autoReport;
        Executor callbackExecutor;
        Executor deadlineExecutor;
        List<String> verifyKeys = List.of();
        boolean failFastConnect;
        int maxListenerThreads = LaneExecutor.DEFAULT_MAX_WORKERS;

        private Builder(String clusterId) {
            this.clusterId = ClusterId.requireValid(clusterId);
        }

        /** NATS server URLs (default {@code nats://127.0.0.1:4222}). */
        public Builder natsServers(String... urls) {
            if (urls.length == 0) {
                throw new IllegalArgumentException("at least one NATS server URL is required");
            }
            this.nats = nats.withServers(urls);
            return this;
        }

        /**
         * How to connect to NATS: servers, credentials ({@code .creds} file, token, user and password)
         * and TLS (trust and key stores), the same settings the pulse uses. Replaces
         * {@link #natsServers}.
         */
        public Builder nats(NatsConnectionSettings settings) {
            this.nats = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Uses an existing jnats connection; the client never closes it. */
        public Builder connection(Connection connection) {
            this.connection = Objects.requireNonNull(connection);
            return this;
        }

        /**
         * Accept only frames and timeline replies signed by one of these Ed25519 NKey public keys
         * (the cluster's, several during a rotation); others are dropped and counted as
         * {@link DropReason#SIGNATURE}. Needs the built-in NATS transport.
         */
        public Builder verifySignatures(String... publicKeys) {
            this.verifyKeys = List.of(publicKeys);
            new SignatureCheck(this.verifyKeys); // a bad key fails here, naming it
            return this;
        }

        /** A custom transport (the test kit's in-memory pulse, for instance). */
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

        /**
         * How long after a phase should have started before the client derives it itself. Default:
         * fits the tempo, a quarter of the phase and at most 250 ms (21 ms at 240 BPM with 3 phases,
         * 125 ms at 40 BPM), so a silent pulse never costs a phase; a fixed grace longer than a phase
         * makes those phases late ({@link MissedPhasePolicy}).
         */
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
         * Where listener callbacks run (default: the client's pool of daemon threads, see
         * {@link #maxListenerThreads(int)}). The test kit passes a direct executor for deterministic
         * tests; an executor with fewer threads than slow listeners gives up their isolation.
         */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor);
            return this;
        }

        /**
         * Most threads of the client's listener pool (default 64). It has 2 per core (at least 4, at
         * most this) and adds one only when a callback has waited 1 ms while every thread was running
         * a callback (all in slow or blocked listeners), so a slow listener holds up another by about
         * that; the added ones retire after 30 s idle. With this many blocked listeners, the others
         * wait. Not used with {@link #callbackExecutor(Executor)}.
         */
        public Builder maxListenerThreads(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("max listener threads must be >= 1, got " + max);
            }
            this.maxListenerThreads = max;
            return this;
        }

        /**
         * Where {@link BeatDeadline#runWithin(Callable)} runs the work of this client's phases
         * (default: a pool of daemon threads {@code backbeat-deadline-N-M} that the client owns and
         * shuts down on {@link BeatClient#close()}). The client never shuts down an executor passed
         * here.
         */
        public Builder deadlineExecutor(Executor executor) {
            this.deadlineExecutor = Objects.requireNonNull(executor);
            return this;
        }

        /**
         * {@code true}: {@link #build()} connects to NATS on the caller's thread and throws when no
         * server answers. Default {@code false}: {@code build()} returns at once and the client connects
         * in the background, trying the servers again every reconnect wait (250 ms by default, see
         * {@link NatsConnectionSettings.Builder#reconnectWait}) until one answers or the client is
         * closed; the start-up grace counts from that first connection. Either way it reconnects forever
         * once connected.
         */
        public Builder failFastConnect(boolean failFast) {
            this.failFastConnect = failFast;
            return this;
        }

        /** The clocks (default system clocks; the test kit passes a virtual one). */
        public Builder clock(BeatClock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * Starts following the beat: returns at once, connecting in the background (see
         * {@link #failFastConnect(boolean)}).
         *
         * @throws UncheckedIOException with {@code failFastConnect(true)}, when no NATS server answers;
         *                              always, when the TLS settings cannot be used
         */
        public BeatClient build() {
            return new BeatClient(this);
        }
    }
}
