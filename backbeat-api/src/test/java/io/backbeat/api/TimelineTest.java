package io.backbeat.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimelineTest {
    private static final List<String> P3 = List.of("plan", "execute", "review");

    private static Timeline grid(long anchor, long beat, double bpm, int bar, List<String> phases) {
        return Timeline.of(new TimelineDescriptor("c", anchor, beat, bpm, bar, phases, 0, "", null));
    }

    @Test
    void randomRoundTripsTimeToBeatToTime() {
        Random rnd = new Random(20261122);
        double[] tempos = {0.2, 1, 2, 7, 12, 60, 120, 133.3, 1000, 12345.6};
        for (int i = 0; i < 20_000; i++) {
            double bpm = tempos[rnd.nextInt(tempos.length)];
            int nPhases = 1 + rnd.nextInt(5);
            List<String> phases = List.of("a", "b", "c", "d", "e").subList(0, nPhases);
            long anchor = 1_757_000_000_000_000_000L + rnd.nextInt(1_000_000_000);
            long anchorBeat = rnd.nextInt(2_000_000) - 1_000_000;
            Timeline t = grid(anchor, anchorBeat, bpm, 1 + rnd.nextInt(16), phases);
            long at = anchor + (long) ((rnd.nextDouble() - 0.5) * 4e12);
            GridPosition pos = t.positionAt(at);
            assertThat(pos.phaseStartNanos()).isLessThanOrEqualTo(at);
            assertThat(pos.deadlineNanos()).isGreaterThan(at);
            assertThat(t.positionAt(pos.phaseStartNanos())).isEqualTo(pos);
            assertThat(t.positionAt(pos.deadlineNanos() - 1)).isEqualTo(pos);
            GridPosition next = t.following(pos);
            assertThat(next.phaseStartNanos()).isEqualTo(pos.deadlineNanos());
            assertThat(t.positionAt(pos.deadlineNanos())).isEqualTo(next);
            assertThat(t.position(pos.beatIndex(), pos.phaseIndex())).isEqualTo(pos);
            assertThat(pos.downbeat()).isEqualTo(t.isDownbeat(pos.beatIndex()));
        }
    }

    @Test
    void beatIndexesNearTheLimitsWorkOrFailClearly() {
        long beatNs = Tempo.beatNanos(120); // 500 ms
        long maxBeat = Long.MAX_VALUE / beatNs;
        Timeline t = grid(0, 0, 120, 4, P3);
        // the last beat that still starts within a long works exactly
        assertThat(t.beatStartNanos(maxBeat)).isEqualTo(maxBeat * beatNs);
        assertThat(t.positionAt(maxBeat * beatNs).beatIndex()).isEqualTo(maxBeat);
        assertThatThrownBy(() -> t.beatStartNanos(maxBeat + 1)).isInstanceOf(TimelineOverflowException.class)
                .hasMessageContaining("outside the range");
        assertThatThrownBy(() -> t.beatStartNanos(Long.MIN_VALUE)).isInstanceOf(TimelineOverflowException.class);
        // an anchor beat near Long.MAX_VALUE: a time far ahead would need a beat index beyond a long
        Timeline high = grid(0, Long.MAX_VALUE - 10, 120, 4, P3);
        assertThat(high.positionAt(5 * beatNs).beatIndex()).isEqualTo(Long.MAX_VALUE - 5);
        assertThatThrownBy(() -> high.positionAt(11 * beatNs)).isInstanceOf(TimelineOverflowException.class);
        // and instants before the anchor give negative offsets, exactly
        Timeline low = grid(1_000, 0, 120, 4, P3);
        GridPosition before = low.positionAt(999);
        assertThat(before.beatIndex()).isEqualTo(-1);
        assertThat(before.phase()).isEqualTo("review");
        assertThat(before.deadlineNanos()).isEqualTo(1_000);
    }

    @Test
    void pendingTempoAppliesExactlyAtItsDownbeat() {
        long anchor = 1_000_000_000_000L;
        TimelineDescriptor d = new TimelineDescriptor("c", anchor, 0, 120, 4, P3, 3, "n1", new PendingTempo(126, 8));
        Timeline t = Timeline.of(d);
        long at8 = anchor + 8 * 500_000_000L;
        assertThat(t.beatStartNanos(8)).isEqualTo(at8);
        assertThat(t.positionAt(at8 - 1).tempoBpm()).isEqualTo(120);
        assertThat(t.positionAt(at8 - 1).beatIndex()).isEqualTo(7);
        GridPosition p8 = t.positionAt(at8);
        assertThat(p8.beatIndex()).isEqualTo(8);
        assertThat(p8.tempoBpm()).isEqualTo(126);
        long beat126 = Tempo.beatNanos(126);
        assertThat(t.beatStartNanos(9)).isEqualTo(at8 + beat126);
        assertThat(t.positionAt(at8 + beat126).beatIndex()).isEqualTo(9);
        // settling folds the change into the anchor without moving any beat
        TimelineDescriptor settled = d.settle(at8);
        assertThat(settled.pending()).isNull();
        assertThat(settled.anchorBeatIndex()).isEqualTo(8);
        Timeline s = Timeline.of(settled);
        for (long b = 8; b < 40; b++) {
            assertThat(s.beatStartNanos(b)).isEqualTo(t.beatStartNanos(b));
        }
        assertThat(d.settle(at8 - 1)).isSameAs(d);
        assertThat(d.tempoAt(at8 - 1)).isEqualTo(120);
        assertThat(d.tempoAt(at8)).isEqualTo(126);
    }

    @Test
    void nextDownbeatIsStrictlyAfter() {
        Timeline t = grid(0, 0, 60, 4, P3);
        assertThat(t.nextDownbeatAfter(0)).isEqualTo(4);
        assertThat(t.nextDownbeatAfter(3_999_999_999L)).isEqualTo(4);
        assertThat(t.nextDownbeatAfter(4_000_000_000L)).isEqualTo(8);
        assertThat(t.nextDownbeatAfter(-1)).isEqualTo(0);
    }

    @Test
    void descriptorValidationSaysWhatIsWrong() {
        assertThatThrownBy(() -> new TimelineDescriptor("bad id", 0, 0, 120, 4, P3, 0, "", null))
                .hasMessageContaining("cluster id");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 0, Double.NaN, 4, P3, 0, "", null))
                .hasMessageContaining("finite");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 0, 120, 0, P3, 0, "", null))
                .hasMessageContaining("beats_per_bar");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 0, 120, 4, List.of("a", "a"), 0, "", null))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 0, 120, 4, List.of(), 0, "", null))
                .hasMessageContaining("at least one");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 0, 120, 4, P3, 0, "", new PendingTempo(125, 6)))
                .hasMessageContaining("downbeat");
        assertThatThrownBy(() -> new TimelineDescriptor("c", 0, 8, 120, 4, P3, 0, "", new PendingTempo(125, 8)))
                .hasMessageContaining("after the anchor");
    }

    @Test
    void tempoPolicyRefusesWithActionableReasons() {
        TempoPolicy policy = TempoPolicy.of(4, 240);
        assertThat(policy.refusal(120, 126)).isEmpty();
        assertThat(policy.refusal(120, 132)).isEmpty(); // exactly +10%
        assertThat(policy.refusal(120, 108)).isEmpty(); // exactly -10%
        assertThat(policy.refusal(120, 144)).get().asString().contains("20.0% change").contains("at most 10%");
        assertThat(policy.refusal(4, 3.8)).get().asString().contains("below the cluster minimum of 4.0");
        assertThat(policy.refusal(230, 250)).get().asString().contains("above the cluster maximum of 240.0");
        assertThat(policy.refusal(120, Double.NaN)).get().asString().contains("finite");
        assertThat(policy.refusal(120, -1)).get().asString().contains("> 0");
        assertThatThrownBy(() -> TempoPolicy.of(30, 10)).hasMessageContaining("must not exceed");
    }

    @Test
    void clusterIdsAreSingleNatsTokens() {
        assertThat(ClusterId.isValid("chorus-aus-01")).isTrue();
        assertThat(ClusterId.isValid("a".repeat(64))).isTrue();
        assertThat(ClusterId.isValid("a".repeat(65))).isFalse();
        assertThat(ClusterId.isValid("a.b")).isFalse();
        assertThat(ClusterId.isValid("a b")).isFalse();
        assertThat(ClusterId.isValid("")).isFalse();
        assertThat(ClusterId.isValid("a*")).isFalse();
        assertThat(ClusterId.beatSubject("x")).isEqualTo("backbeat.x.beat");
    }
}
