package io.backbeat.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every case of shared/vectors/timeline.json and window_id.json. */
class VectorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"timeline.json", "window_id.json"})
    void bundledCopiesAreByteIdentical(String file) throws IOException {
        Path shared = Vectors.shared(file);
        if (Files.isRegularFile(shared)) {
            assertThat(Vectors.bundled(file)).isEqualTo(Files.readAllBytes(shared));
        } else {
            assertThat(Vectors.bundled(file)).isNotEmpty();
        }
    }

    @Test
    void timelineVectors() {
        JsonNode cases = Vectors.load("timeline.json").get("cases");
        assertThat(cases.size()).isGreaterThan(100);
        for (JsonNode c : cases) {
            List<String> phases = new ArrayList<>();
            c.get("phases").forEach(n -> phases.add(n.asText()));
            TimelineDescriptor d = new TimelineDescriptor("c", c.get("anchor_time_ns").asLong(),
                    c.get("anchor_beat_index").asLong(), c.get("tempo_bpm").asDouble(), c.get("beats_per_bar").asInt(),
                    phases, 0, "", null);
            Timeline t = Timeline.of(d);
            long at = c.get("at_time_ns").asLong();
            GridPosition pos = t.positionAt(at);
            String why = c.toString();
            assertThat(pos.beatIndex()).as(why).isEqualTo(c.get("beat_index").asLong());
            assertThat(t.beatIndexAt(at)).as(why).isEqualTo(c.get("beat_index").asLong());
            assertThat(pos.phase()).as(why).isEqualTo(c.get("phase").asText());
            assertThat(pos.phaseIndex()).as(why).isEqualTo(c.get("phase_index").asInt());
            assertThat(pos.phaseStartNanos()).as(why).isEqualTo(c.get("phase_start_ns").asLong());
            assertThat(pos.deadlineNanos()).as(why).isEqualTo(c.get("deadline_ns").asLong());
            assertThat(pos.downbeat()).as(why).isEqualTo(c.get("downbeat").asBoolean());
            // the inverse direction: time at (beat, phase)
            assertThat(t.phaseStartNanos(pos.beatIndex(), pos.phaseIndex())).as(why)
                    .isEqualTo(c.get("phase_start_ns").asLong());
            assertThat(t.deadlineNanos(pos.beatIndex(), pos.phaseIndex())).as(why)
                    .isEqualTo(c.get("deadline_ns").asLong());
        }
    }

    @Test
    void windowIdVectors() {
        JsonNode cases = Vectors.load("window_id.json").get("cases");
        assertThat(cases.size()).isGreaterThan(50);
        for (JsonNode c : cases) {
            String cluster = c.get("cluster_id").asText();
            long beat = c.get("beat_index").asLong();
            int bar = c.get("beats_per_bar").asInt();
            String why = c.toString();
            assertThat(Timeline.downbeatOf(beat, bar)).as(why).isEqualTo(c.get("downbeat_beat_index").asLong());
            assertThat(Math.floorMod(beat, bar) == 0).as(why).isEqualTo(c.get("downbeat").asBoolean());
            assertThat(WindowId.of(cluster, beat, bar)).as(why).isEqualTo(c.get("window_id").asText());
            assertThat(WindowId.forDownbeat(cluster, c.get("downbeat_beat_index").asLong())).as(why)
                    .isEqualTo(c.get("window_id").asText());
        }
    }
}
