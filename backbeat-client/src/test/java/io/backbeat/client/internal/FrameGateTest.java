package io.backbeat.client.internal;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.DropReason;
import io.backbeat.hlc.HlcTimestamp;
import io.backbeat.hlc.HybridLogicalClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Pure tests of frame validation: fake wall clock, no NATS, no threads. */
class FrameGateTest {
    private static final String CLUSTER = "c1";
    private static final long ANCHOR = 1_800_000_000_000_000_000L; // epoch ns, whole second

    private long nowNanos;
    private Timeline grid;
    private HybridLogicalClock hlc;
    private FrameGate gate;
    private final HybridLogicalClock leaderHlc = HybridLogicalClock.builder("leader-a")
            .physicalClock(() -> nowNanos / 1_000_000).build();

    @BeforeEach
    void setUp() {
        nowNanos = ANCHOR;
        grid = Timeline.of(TimelineDescriptor.initial(CLUSTER, ANCHOR, 120, 4, TimelineDescriptor.DEFAULT_PHASES));
        hlc = HybridLogicalClock.builder("client-1").physicalClock(() -> nowNanos / 1_000_000)
                .maxOffset(Duration.ofMillis(500)).build();
        gate = new FrameGate(CLUSTER, hlc);
    }

    private BeatFrame frame(long beat, int phase, long term) {
        GridPosition pos = grid.position(beat, phase);
        return BeatFrame.at(grid, pos, leaderHlc.now().toString(), "leader-a", term);
    }

    private FrameGate.Verdict offerAtStart(BeatFrame f) {
        nowNanos = Math.max(nowNanos, grid.phaseStartNanos(f.beatIndex(), grid.phaseIndexOf(f.phase())));
        return gate.accept(BackbeatCodec.encodeFrame(f), nowNanos, grid);
    }

    @Test
    void goodFramesInOrderAreAcceptedAndMergeTheHlc() {
        gate.confirmTerm(1); // as the client does with the timeline's term
        List<Long> accepted = new ArrayList<>();
        for (long b = 0; b < 3; b++) {
            for (int p = 0; p < 3; p++) {
                FrameGate.Verdict v = offerAtStart(frame(b, p, 1));
                assertThat(v.accepted()).as("beat %d phase %d", b, p).isTrue();
                accepted.add(b * 3 + p);
                assertThat(HlcTimestamp.parse(v.frame().hlc()).compareTo(hlc.peek())).isLessThanOrEqualTo(0);
            }
        }
        assertThat(accepted).hasSize(9);
        assertThat(gate.drops().values()).allMatch(n -> n == 0);
        assertThat(gate.highestTerm()).isEqualTo(1);
    }

    @Test
    void eachHostileKindIsDroppedUnderItsOwnReasonAndGoodFramesStillFlow() {
        gate.confirmTerm(2);
        assertThat(offerAtStart(frame(0, 0, 2)).accepted()).isTrue();

        // malformed JSON
        assertThat(gate.accept("{\"type\":\"backbeat.beatframe.v1\",".getBytes(StandardCharsets.UTF_8), nowNanos, grid)
                .dropped()).isEqualTo(DropReason.MALFORMED);
        // wrong cluster
        BeatFrame other = frame(0, 1, 2).toBuilder().clusterId("c2").build();
        assertThat(gate.accept(BackbeatCodec.encodeFrame(other), nowNanos, grid).dropped())
                .isEqualTo(DropReason.WRONG_CLUSTER);
        // lower term than accepted
        assertThat(gate.accept(BackbeatCodec.encodeFrame(frame(0, 1, 1)), nowNanos, grid).dropped())
                .isEqualTo(DropReason.STALE_TERM);
        // far-future HLC (10 s ahead of the local clock, max offset 500 ms)
        BeatFrame future = frame(0, 1, 2).toBuilder()
                .hlc(new HlcTimestamp(nowNanos / 1_000_000 + 10_000, 0, HlcTimestamp.suffixOf("x")).toString()).build();
        assertThat(gate.accept(BackbeatCodec.encodeFrame(future), grid.phaseStartNanos(0, 1), grid).dropped())
                .isEqualTo(DropReason.HLC_OFFSET);
        // already expired: beat 0 plan ended long ago
        long later = grid.phaseStartNanos(1, 0);
        BeatFrame expired = frame(0, 2, 2);
        assertThat(gate.accept(BackbeatCodec.encodeFrame(expired), later + 1_000_000_000L, grid).dropped())
                .isEqualTo(DropReason.EXPIRED);
        // replayed frame
        assertThat(gate.accept(BackbeatCodec.encodeFrame(frame(0, 0, 2)), nowNanos, grid).dropped())
                .isEqualTo(DropReason.DUPLICATE);
        // a later phase that has not started: a forged copy of the next one, or a beat far ahead
        assertThat(gate.accept(BackbeatCodec.encodeFrame(frame(0, 2, 2)), nowNanos, grid).dropped())
                .isEqualTo(DropReason.EARLY);
        assertThat(gate.accept(BackbeatCodec.encodeFrame(frame(1_000_000, 0, 2)), nowNanos, grid).dropped())
                .isEqualTo(DropReason.EARLY);
        // contradicts the grid (deadline moved by a second)
        BeatFrame offGrid = frame(0, 1, 2).toBuilder().deadlineAt(frame(0, 1, 2).deadlineAt().plusSeconds(1)).build();
        assertThat(gate.accept(BackbeatCodec.encodeFrame(offGrid), nowNanos, grid).dropped())
                .isEqualTo(DropReason.OFF_GRID);

        // the HLC rejection merged nothing: the clock is not 10 s ahead
        assertThat(hlc.peek().wallMs()).isLessThan(nowNanos / 1_000_000 + 1_000);
        // good frames still flow
        assertThat(offerAtStart(frame(0, 1, 2)).accepted()).isTrue();
        assertThat(gate.drops()).containsEntry(DropReason.MALFORMED, 1L).containsEntry(DropReason.WRONG_CLUSTER, 1L)
                .containsEntry(DropReason.STALE_TERM, 1L).containsEntry(DropReason.HLC_OFFSET, 1L)
                .containsEntry(DropReason.EXPIRED, 1L).containsEntry(DropReason.DUPLICATE, 1L)
                .containsEntry(DropReason.OFF_GRID, 1L).containsEntry(DropReason.EARLY, 2L);
    }

    @Test
    void aHigherTermIsAcceptedAndFlaggedButFencesOnlyOnceTheTimelineConfirmsIt() {
        gate.confirmTerm(3);
        assertThat(offerAtStart(frame(1, 0, 3)).newTerm()).isFalse();
        // a new leader with a higher term replays the same (beat, phase): still a duplicate
        FrameGate.Verdict replay = gate.accept(BackbeatCodec.encodeFrame(frame(1, 0, 4)), nowNanos, grid);
        assertThat(replay.dropped()).isEqualTo(DropReason.DUPLICATE);
        FrameGate.Verdict next = offerAtStart(frame(1, 1, 4));
        assertThat(next.accepted()).isTrue();
        assertThat(next.newTerm()).isTrue();
        assertThat(gate.highestTerm()).as("not confirmed yet").isEqualTo(3);
        // one forged frame with a huge term locks nobody out: the real leader's next frame still passes
        assertThat(offerAtStart(frame(1, 2, Long.MAX_VALUE)).accepted()).isTrue();
        assertThat(offerAtStart(frame(2, 0, 3)).accepted()).isTrue();
        // confirmed by the timeline: now the fence holds
        assertThat(gate.confirmTerm(4)).isTrue();
        assertThat(gate.confirmTerm(2)).isFalse();
        assertThat(offerAtStart(frame(2, 1, 3)).dropped()).isEqualTo(DropReason.STALE_TERM);
        assertThat(offerAtStart(frame(2, 1, 4)).accepted()).isTrue();
    }

    @Test
    void randomisedShuffleNeverAcceptsTwiceNorBackwards() {
        Random rnd = new Random(42);
        List<BeatFrame> frames = new ArrayList<>();
        for (long b = 0; b < 40; b++) {
            for (int p = 0; p < 3; p++) {
                frames.add(frame(b, p, 1));
            }
        }
        long lastKey = -1;
        int accepted = 0;
        for (int i = 0; i < 2_000; i++) {
            BeatFrame f = frames.get(rnd.nextInt(frames.size()));
            // wall clock sits in the phase's window or slightly before, so nothing expires
            long start = grid.phaseStartNanos(f.beatIndex(), grid.phaseIndexOf(f.phase()));
            FrameGate.Verdict v = gate.accept(BackbeatCodec.encodeFrame(f), start, grid);
            long key = f.beatIndex() * 3 + grid.phaseIndexOf(f.phase());
            if (v.accepted()) {
                assertThat(key).isGreaterThan(lastKey);
                lastKey = key;
                accepted++;
            } else {
                assertThat(v.dropped()).isIn(DropReason.DUPLICATE, DropReason.HLC_OFFSET);
            }
        }
        assertThat(accepted).isPositive();
        long dropped = gate.drops().values().stream().mapToLong(Long::longValue).sum();
        assertThat(accepted + dropped).isEqualTo(2_000);
    }

    /** The frame as a third-party producer writing {@code deadline_at} at full precision would send it. */
    private byte[] withDeadlineText(BeatFrame f, long deadlineNanos) {
        String json = new String(BackbeatCodec.encodeFrame(f), StandardCharsets.UTF_8);
        String text = io.backbeat.api.EpochNanos.toInstant(deadlineNanos).toString(); // ISO-8601, up to ns
        String replaced = json.replaceFirst("\"deadline_at\":\"[^\"]*\"", "\"deadline_at\":\"" + text + "\"");
        assertThat(replaced).contains(text).isNotEqualTo(json);
        return replaced.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aDeadlineWrittenAtAnyPrecisionIsOnTheGrid() {
        // PROTOCOL: producers write ms, consumers accept any RFC 3339 precision (e.g. Go's RFC3339Nano)
        long d0 = grid.deadlineNanos(0, 0);
        assertThat(d0 % 1_000_000).isNotZero(); // 166.666666 ms: not a whole millisecond
        FrameGate.Verdict ns = gate.accept(withDeadlineText(frame(0, 0, 1), d0), grid.phaseStartNanos(0, 0), grid);
        assertThat(ns.dropped()).isNull();
        long d1 = grid.deadlineNanos(0, 1) / 1_000 * 1_000; // microseconds
        assertThat(gate.accept(withDeadlineText(frame(0, 1, 1), d1), grid.phaseStartNanos(0, 1), grid).dropped())
                .isNull();
        // two milliseconds off is off the grid
        long d2 = grid.deadlineNanos(0, 2) + 2_000_000;
        assertThat(gate.accept(withDeadlineText(frame(0, 2, 1), d2), grid.phaseStartNanos(0, 2), grid).dropped())
                .isEqualTo(DropReason.OFF_GRID);
    }

    /**
     * Fuzz (fixed seed): 20,000 mutated, shuffled and forged payloads at moving instants; the gate never
     * throws, every payload is either accepted or counted under one reason, and the accepted pairs
     * only ever move forward.
     */
    @Test
    void fuzzedPayloadsNeverThrowAndAcceptedPairsOnlyMoveForward() {
        Random rnd = new Random(7);
        gate.confirmTerm(1);
        long accepted = 0;
        long lastKey = Long.MIN_VALUE;
        for (int i = 0; i < 20_000; i++) {
            long beat = i / 6;
            int phase = rnd.nextInt(3);
            nowNanos = grid.phaseStartNanos(beat, 0) + rnd.nextInt(500_000_000);
            BeatFrame f = frame(beat + rnd.nextInt(5) - 2, phase, rnd.nextInt(4) == 0 ? rnd.nextLong() : 1);
            byte[] b = BackbeatCodec.encodeFrame(f);
            int edits = rnd.nextInt(3);
            for (int e = 0; e < edits; e++) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(128);
            }
            FrameGate.Verdict v = gate.accept(b, nowNanos, rnd.nextInt(10) == 0 ? null : grid);
            assertThat(v.accepted() ^ v.dropped() != null).isTrue();
            if (v.accepted()) {
                accepted++;
                long key = v.frame().beatIndex() * 3 + gate.lastPhase();
                assertThat(key).as("case %d", i).isGreaterThan(lastKey);
                lastKey = key;
            }
        }
        long dropped = gate.drops().values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("frame gate fuzz: 20000 payloads, %d accepted, drops %s%n", accepted, gate.drops());
        assertThat(accepted + dropped).isEqualTo(20_000);
        assertThat(accepted).isPositive();
    }
}
