package io.backbeat.client;

import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.internal.FrameGate;
import io.backbeat.client.spi.BeatTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Asks any pulse node for the grid on {@code backbeat.{cluster}.timeline} and adopts the answer:
 * the grid, and the term it confirms (the frame gate's fence, the leader). Requests are at most every
 * 100 ms unless forced, with the client's own timeout (jnats completes an unanswered request only
 * when its cleanup timer runs). A frame judged off the grid is held and judged once more after the
 * refresh.
 */
final class TimelineFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(BeatClient.class);
    private static final long MIN_INTERVAL_NANOS = 100_000_000L;

    private final ClientState state;
    private final BeatTransport transport;
    private final Duration requestTimeout;
    private final FrameGate gate;
    private final PhaseDispatcher dispatcher;
    private final Consumer<byte[]> rejudge;
    private final AtomicBoolean requestInFlight = new AtomicBoolean();
    // guarded by state.lock
    private long lastRequestNanoTime = Long.MIN_VALUE / 2;
    private long lastTermProbeNanos = Long.MIN_VALUE / 2;
    private byte[] heldFrame;

    TimelineFetcher(ClientState state, BeatTransport transport, Duration requestTimeout, FrameGate gate,
                    PhaseDispatcher dispatcher, Consumer<byte[]> rejudge) {
        this.state = state;
        this.transport = transport;
        this.requestTimeout = requestTimeout;
        this.gate = gate;
        this.dispatcher = dispatcher;
        this.rejudge = rejudge;
    }

    /** Asks for the grid unless a request went out less than 100 ms ago or is still pending. */
    void request() {
        request(false);
    }

    /** Asks for the grid now, whatever went out before (the transport has just connected). */
    void requestNow() {
        request(true);
    }

    /**
     * Holds {@code payload}, judged off the grid, and forces a refresh; the reply judges it once more.
     * Only one frame is held at a time. Holds the lock.
     */
    void refreshThenRejudge(byte[] payload) {
        if (heldFrame == null) {
            heldFrame = payload;
            request(true);
        }
    }

    /**
     * A frame of a term higher than the confirmed one was accepted: it is believed only once the
     * replicated timeline confirms it (one forged frame must not fence the real leader out), so ask
     * now, even with a request to a silent pulse still pending, at most every 100 ms. Holds the lock.
     */
    void probeTerm(long frameTerm, Timeline grid) {
        if ((grid == null || grid.descriptor().term() < frameTerm)
                && state.clock.nanoTime() - lastTermProbeNanos > MIN_INTERVAL_NANOS) {
            lastTermProbeNanos = state.clock.nanoTime();
            request(true);
        }
    }

    private void request(boolean force) {
        long now = state.clock.nanoTime();
        synchronized (state.lock) {
            if (state.closed || (!force && now - lastRequestNanoTime < MIN_INTERVAL_NANOS)) {
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
            reply = transport.requestTimeline(state.clusterId, requestTimeout)
                    .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) { // e.g. no responders, disconnected: retried by the grid thread
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete(this::onReply);
    }

    private void onReply(byte[] bytes, Throwable err) {
        requestInFlight.set(false);
        byte[] held;
        synchronized (state.lock) {
            held = heldFrame;
            heldFrame = null;
        }
        if (err != null || bytes == null || bytes.length == 0) {
            LOG.debug("timeline request failed (retrying): {}", err == null ? "empty reply" : err.toString());
            return;
        }
        try {
            TimelineDescriptor d = BackbeatCodec.decodeDescriptor(bytes);
            if (!d.clusterId().equals(state.clusterId)) {
                LOG.warn("timeline reply for cluster {} ignored", d.clusterId());
                return;
            }
            adopt(d);
        } catch (RuntimeException e) {
            LOG.warn("malformed timeline reply dropped: {}", e.getMessage());
            return;
        }
        if (held != null) {
            synchronized (state.lock) {
                heldFrame = new byte[0]; // marks a re-judgement: no second refresh for this frame
            }
            try {
                rejudge.accept(held);
            } finally {
                synchronized (state.lock) {
                    if (heldFrame != null && heldFrame.length == 0) {
                        heldFrame = null;
                    }
                }
            }
        }
    }

    private void adopt(TimelineDescriptor d) {
        synchronized (state.lock) {
            Timeline cur = state.timeline;
            if (cur == null || d.term() >= cur.descriptor().term()) {
                state.timeline = Timeline.of(d);
            }
            if (gate.confirmTerm(d.term())) {
                state.term = d.term();
                state.leaderId = d.leaderId();
                String l = d.leaderId();
                long t = d.term();
                dispatcher.notifyAll(x -> x.onLeaderChange(l, t));
            }
        }
    }
}
