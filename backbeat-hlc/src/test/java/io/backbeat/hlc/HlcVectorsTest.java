package io.backbeat.hlc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every case of shared/vectors/hlc.json. */
class HlcVectorsTest {
    private static final String NAME = "vectors/hlc.json";

    static byte[] bundledCopy() throws IOException {
        try (InputStream in = HlcVectorsTest.class.getClassLoader().getResourceAsStream(NAME)) {
            assertThat(in).as("bundled " + NAME).isNotNull();
            return in.readAllBytes();
        }
    }

    static Path sharedFile() {
        String dir = System.getProperty("backbeat.shared.dir", "../../shared");
        return Path.of(dir, NAME);
    }

    static JsonNode vectors() throws IOException {
        Path shared = sharedFile();
        byte[] bytes = Files.isRegularFile(shared) ? Files.readAllBytes(shared) : bundledCopy();
        return new ObjectMapper().readTree(bytes);
    }

    @Test
    void bundledCopyIsByteIdenticalToShared() throws IOException {
        Path shared = sharedFile();
        if (Files.isRegularFile(shared)) {
            assertThat(bundledCopy()).isEqualTo(Files.readAllBytes(shared));
        } else {
            assertThat(bundledCopy()).isNotEmpty();
        }
    }

    @Test
    void format() throws IOException {
        for (JsonNode c : vectors().get("format")) {
            int suffix = HlcTimestamp.suffixOf(c.get("node_id").asText());
            assertThat(String.format("%04x", suffix)).isEqualTo(c.get("node_suffix").asText());
            HlcTimestamp t = new HlcTimestamp(c.get("wall_ms").asLong(), c.get("logical").asInt(), suffix);
            assertThat(t.toString()).isEqualTo(c.get("encoded").asText());
            assertThat(HlcTimestamp.parse(c.get("encoded").asText())).isEqualTo(t);
            assertThat(HlcTimestamp.unpack(t.pack(), suffix)).isEqualTo(t);
        }
    }

    @Test
    void parse() throws IOException {
        for (JsonNode c : vectors().get("parse")) {
            HlcTimestamp t = HlcTimestamp.parse(c.get("text").asText());
            assertThat(t.wallMs()).isEqualTo(c.get("wall_ms").asLong());
            assertThat(t.logical()).isEqualTo(c.get("logical").asInt());
            assertThat(String.format("%04x", t.suffix())).isEqualTo(c.get("node_suffix").asText());
            assertThat(t.toString()).isEqualTo(c.get("canonical").asText());
        }
    }

    @Test
    void reject() throws IOException {
        JsonNode rejects = vectors().get("reject");
        assertThat(rejects.size()).isGreaterThan(0);
        for (JsonNode c : rejects) {
            assertThatThrownBy(() -> HlcTimestamp.parse(c.asText())).as("'%s'", c.asText())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HLC");
        }
    }

    @Test
    void update() throws IOException {
        for (JsonNode c : vectors().get("update")) {
            long pt = c.get("physical_ms").asLong();
            HybridLogicalClock clock = HybridLogicalClock.builder("node-a").physicalClock(() -> pt)
                    .initialState(c.get("state_wall_ms").asLong(), c.get("state_logical").asInt()).build();
            HlcTimestamp r;
            if (c.get("op").asText().equals("now")) {
                r = clock.now();
            } else {
                r = clock.update(new HlcTimestamp(c.get("remote_wall_ms").asLong(),
                        c.get("remote_logical").asInt(), 0x1234));
            }
            assertThat(r.wallMs()).as(c.toString()).isEqualTo(c.get("result").get("wall_ms").asLong());
            assertThat(r.logical()).as(c.toString()).isEqualTo(c.get("result").get("logical").asInt());
        }
    }

    @Test
    void order() throws IOException {
        for (JsonNode c : vectors().get("order")) {
            int cmp = HlcTimestamp.parse(c.get(0).asText()).compareTo(HlcTimestamp.parse(c.get(1).asText()));
            assertThat(Integer.signum(cmp)).as(c.toString()).isEqualTo(c.get(2).asInt());
        }
    }
}
