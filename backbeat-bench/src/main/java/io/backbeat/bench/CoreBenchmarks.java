package io.backbeat.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.WindowId;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.hlc.HybridLogicalClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;


import java.util.List;
import java.util.concurrent.TimeUnit;

/** The pure core's hot paths: HLC, window id, timeline lookup, frame codec. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class CoreBenchmarks {
    private HybridLogicalClock clock;
    private HlcTimestamp remote;
    private Timeline timeline;
    private long t0;
    private long tick;
    private long beat;
    private BeatFrame frame;
    private byte[] frameJson;
    private ObjectMapper mapper;
    private java.util.Map<?, ?> frameMap;
    private io.nats.client.NKey signingKey;
    private io.nats.client.NKey verifyingKey;
    private byte[] frameSignature;

    @Setup
    public void setup() {
        try {
            signingKey = io.nats.client.NKey.createAccount(null);
            verifyingKey = io.nats.client.NKey.fromPublicKey(signingKey.getPublicKey());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        clock = HybridLogicalClock.create("bench-node");
        remote = new HlcTimestamp(System.currentTimeMillis() - 5, 3, 0xabcd);
        t0 = 1_757_000_000_123_456_789L;
        timeline = Timeline.of(new TimelineDescriptor("chorus-aus-01", t0, 0, 120, 8,
                List.of("plan", "execute", "review"), 3, "pulse-1", null));
        GridPosition pos = timeline.positionAt(t0 + 12_345_678_901L);
        frame = BeatFrame.at(timeline, pos, clock.now().toString(), "pulse-1", 3);
        frameJson = BackbeatCodec.encodeFrame(frame);
        mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        try {
            frameMap = mapper.readValue(frameJson, java.util.Map.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Benchmark
    @Threads(1)
    public long hlcNow() {
        return clock.nowPacked();
    }

    @Benchmark
    @Threads(2)
    public long hlcNowTwoThreads() {
        return clock.nowPacked();
    }

    @Benchmark
    @Threads(1)
    public HlcTimestamp hlcNowObject() {
        return clock.now();
    }

    @Benchmark
    public HlcTimestamp hlcUpdate() {
        return clock.update(remote);
    }

    /** The worst case: a new bar on every call. */
    @Benchmark
    public String windowId() {
        beat += 8;
        return WindowId.of("chorus-aus-01", beat, 8);
    }

    /** The common case: consecutive phases of one bar (the per-thread last id is reused). */
    @Benchmark
    public String windowIdSameBar() {
        return WindowId.of("chorus-aus-01", 800 + (beat++ & 7), 8);
    }

    @Benchmark
    public GridPosition timelineLookup() {
        tick += 7_919_111L;
        return timeline.positionAt(t0 + tick);
    }

    @Benchmark
    public byte[] frameEncode() {
        return BackbeatCodec.encodeFrame(frame);
    }

    @Benchmark
    public BeatFrame frameDecode() {
        return BackbeatCodec.decodeFrame(frameJson);
    }

    @Benchmark
    public BeatFrame frameEncodeDecode() {
        return BackbeatCodec.decodeFrame(BackbeatCodec.encodeFrame(frame));
    }

    /** Baseline: plain databind encode + decode of the same document as a Map (no validation at all). */
    @Benchmark
    public Object databindEncodeDecodeBaseline() throws Exception {
        return mapper.readValue(mapper.writeValueAsBytes(frameMap), java.util.Map.class);
    }


    /** Ed25519 signature of one encoded frame (the pulse, per frame, when signing is on). */
    @Benchmark
    public byte[] frameSign() throws Exception {
        return signingKey.sign(frameJson);
    }

    /** Verifying one frame's signature (a client, per frame, when it verifies). */
    @Benchmark
    public boolean frameVerify() throws Exception {
        if (frameSignature == null) {
            frameSignature = signingKey.sign(frameJson);
        }
        return verifyingKey.verify(frameJson, frameSignature);
    }
}
