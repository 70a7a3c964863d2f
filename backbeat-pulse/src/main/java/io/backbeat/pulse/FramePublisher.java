package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.SchedulingClock;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.hlc.HybridLogicalClock;
import io.backbeat.pulse.metrics.PulseMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;

/**
 * The {@link BeatEmitter}'s frames: built and encoded (and prepared by the sink, e.g. signed) ahead
 * of their instant, then sent at it, never buffered for a late delivery; the encoder warmed up at
 * start so the first beats do not run interpreted.
 */
final class FramePublisher {
    private static final Logger LOG = LoggerFactory.getLogger(BeatEmitter.class); // its log lines, as before

    /** A frame ready to send: its bytes, what the sink prepared for them, and the time that took. */
    record Encoded(byte[] payload, Object prepared, long encodeNanos) {
    }

    private final String nodeId;
    private final BeatEmitter.Sink sink;
    private final PulseMetrics metrics;
    private final SchedulingClock clock;
    private final HybridLogicalClock hlc;
    private final BeatEmitter.Host host;
    private final TimelineDescriptor warmUpSample;
    private volatile long lastPublishNanos;

    /** {@code warmUpSample}: a grid like the one to be published, for the warm-up. */
    FramePublisher(String nodeId, BeatEmitter.Sink sink, PulseMetrics metrics, SchedulingClock clock,
                   HybridLogicalClock hlc, BeatEmitter.Host host, TimelineDescriptor warmUpSample) {
        this.nodeId = nodeId;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
        this.hlc = hlc;
        this.host = host;
        this.warmUpSample = warmUpSample;
    }

    /** {@link SchedulingClock#nanoTime()} of the last publish, 0 before any. */
    long lastPublishNanos() {
        return lastPublishNanos;
    }

    /** The frame at {@code target} in {@code term}, encoded and prepared. */
    Encoded encode(Timeline grid, GridPosition target, long term) {
        long e0 = System.nanoTime();
        BeatFrame frame = BeatFrame.at(grid, target, hlc.now().toString(), nodeId, term);
        byte[] payload = BackbeatCodec.encodeFrame(frame);
        Object prepared = sink.prepare(payload); // e.g. signed here, not at the instant
        return new Encoded(payload, prepared, System.nanoTime() - e0);
    }

    /** Sends {@code frame} now, or counts it skipped when the connection is down. */
    void publish(GridPosition target, Encoded frame, long publishEpoch) {
        if (!sink.connected()) {
            metrics.skipped(1); // never buffered for a late delivery
            return;
        }
        long t0 = System.nanoTime();
        // told before the send: the frame's echo can arrive before publish() returns
        host.published(target.beatIndex(), target.phaseIndex());
        try {
            sink.publish(frame.payload(), frame.prepared());
        } catch (IllegalStateException e) {
            // the connection dropped between the check and the publish; with no reconnect buffer jnats
            // refuses the frame rather than hold it for a late delivery
            metrics.skipped(1);
            return;
        }
        lastPublishNanos = clock.nanoTime();
        metrics.published(frame.encodeNanos() + System.nanoTime() - t0, publishEpoch - target.phaseStartNanos());
    }

    /**
     * Runs the frame encoder until the JIT has compiled it, so the first beats do not pay for
     * interpretation (at 6 frames a second it would otherwise take minutes to get hot).
     */
    void warmUp(BooleanSupplier closed) {
        Timeline grid = Timeline.of(warmUpSample);
        long sink = 0;
        GridPosition p = grid.positionAt(warmUpSample.anchorTimeNanos());
        for (int i = 0; i < 20_000 && !closed.getAsBoolean(); i++) {
            BeatFrame f = BeatFrame.at(grid, p, hlc.now().toString(), nodeId, 1);
            sink += BackbeatCodec.encodeFrame(f).length;
            p = grid.following(p);
        }
        LOG.debug("emitter warm ({} bytes encoded)", sink);
    }
}
