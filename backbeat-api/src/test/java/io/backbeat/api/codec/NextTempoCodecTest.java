package io.backbeat.api.codec;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.GridPosition;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code next_tempo_bpm} / {@code next_tempo_at_beat} (PROTOCOL.md, BeatFrame v1 extensions). */
class NextTempoCodecTest {
    private static final TimelineDescriptor D = TimelineDescriptor.initial("nt", 0, 120, 4, List.of("plan", "execute", "review"))
            .withPending(new PendingTempo(126, 8));

    @Test
    void framesBeforeThePendingDownbeatCarryItAndFramesFromItOnDoNot() {
        Timeline t = Timeline.of(D);
        for (long beat = 0; beat < 12; beat++) {
            for (int p = 0; p < 3; p++) {
                GridPosition pos = t.position(beat, p);
                BeatFrame f = BeatFrame.at(t, pos, "0190000000000:0:0000", "n1", 1);
                if (beat < 8) {
                    assertThat(f.nextTempo()).as("beat %d", beat).isEqualTo(new PendingTempo(126, 8));
                    assertThat(f.tempoBpm()).isEqualTo(120);
                } else {
                    assertThat(f.nextTempo()).as("beat %d", beat).isNull();
                    assertThat(f.tempoBpm()).isEqualTo(126);
                }
                BeatFrame back = BackbeatCodec.decodeFrame(BackbeatCodec.encodeFrame(f));
                // deadlines travel in milliseconds; the rest exactly
                assertThat(back.nextTempo()).isEqualTo(f.nextTempo());
                assertThat(back.toBuilder().deadlineAt(f.deadlineAt()).build()).isEqualTo(f);
            }
        }
        String json = new String(BackbeatCodec.encodeFrame(BeatFrame.at(t, t.position(7, 2), "0190000000000:0:0000", "n1", 1)),
                StandardCharsets.UTF_8);
        assertThat(json).contains("\"next_tempo_bpm\":126", "\"next_tempo_at_beat\":8");
    }

    @Test
    void aHalfOrImpossibleAnnouncementIsRejectedNamingTheField() {
        Timeline t = Timeline.of(D);
        String json = new String(BackbeatCodec.encodeFrame(BeatFrame.at(t, t.position(5, 0), "0190000000000:0:0000", "n1", 1)),
                StandardCharsets.UTF_8);
        String noAt = json.replace(",\"next_tempo_at_beat\":8", "");
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(noAt.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class).satisfies(e -> assertThat(((CodecException) e).field())
                        .isEqualTo("next_tempo_at_beat"));
        String notDownbeat = json.replace("\"next_tempo_at_beat\":8", "\"next_tempo_at_beat\":9");
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(notDownbeat.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class).hasMessageContaining("not a downbeat");
        String past = json.replace("\"next_tempo_at_beat\":8", "\"next_tempo_at_beat\":4");
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(past.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class);
        String badTempo = json.replace("\"next_tempo_bpm\":126", "\"next_tempo_bpm\":-3");
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(badTempo.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class).satisfies(e -> assertThat(((CodecException) e).field())
                        .isEqualTo("next_tempo_bpm"));
    }
}
