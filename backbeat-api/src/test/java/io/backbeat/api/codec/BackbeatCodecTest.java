package io.backbeat.api.codec;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.WindowId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class BackbeatCodecTest {
    static final String GOOD = "{\"type\":\"backbeat.beatframe.v1\",\"cluster_id\":\"chorus-aus-01\",\"beat_index\":42,"
            + "\"downbeat\":false,\"phase\":\"execute\",\"hlc\":\"0199155c6200:0001:5b5d\","
            + "\"deadline_at\":\"2025-09-04T12:00:00.123Z\",\"tempo_bpm\":120,"
            + "\"window_id\":\"63cb2c5b1bbba231251cb8d7d653c399\"}";

    private static String withField(String field, String rawValue) {
        // replaces the value of an existing field in GOOD
        int k = GOOD.indexOf("\"" + field + "\":");
        int start = k + field.length() + 3;
        int end = start;
        int depth = 0;
        boolean inString = false;
        for (; end < GOOD.length(); end++) {
            char ch = GOOD.charAt(end);
            if (ch == '"' && GOOD.charAt(end - 1) != '\\') {
                inString = !inString;
            } else if (!inString && (ch == '{' || ch == '[')) {
                depth++;
            } else if (!inString && (ch == '}' || ch == ']')) {
                if (depth == 0) {
                    break;
                }
                depth--;
            } else if (!inString && depth == 0 && ch == ',') {
                break;
            }
        }
        return GOOD.substring(0, start) + rawValue + GOOD.substring(end);
    }

    private static String without(String field) {
        String s = withField(field, "X");
        return s.replace("\"" + field + "\":X,", "").replace(",\"" + field + "\":X", "");
    }

    @Test
    void goodFrameDecodes() {
        BeatFrame f = BackbeatCodec.decodeFrame(GOOD.getBytes(StandardCharsets.UTF_8));
        assertThat(f.clusterId()).isEqualTo("chorus-aus-01");
        assertThat(f.beatIndex()).isEqualTo(42);
        assertThat(f.deadlineAt()).isEqualTo(Instant.parse("2025-09-04T12:00:00.123Z"));
        assertThat(f.term()).isZero();
        assertThat(f.leaderId()).isEmpty();
        assertThat(f.phases()).isEmpty();
        assertThat(f.beatsPerBar()).isZero();
    }

    static Stream<Arguments> malformedFrames() {
        return Stream.of(
                arguments("empty", "", "$"),
                arguments("whitespace only", "   ", "$"),
                arguments("not an object", "[1,2]", "$"),
                arguments("a string", "\"frame\"", "$"),
                arguments("null", "null", "$"),
                arguments("truncated", GOOD.substring(0, GOOD.length() / 2), "$"),
                arguments("truncated before }", GOOD.substring(0, GOOD.length() - 1), "$"),
                arguments("trailing garbage", GOOD + "x", "$"),
                arguments("two objects", GOOD + GOOD, "$"),
                arguments("missing type", without("type"), "type"),
                arguments("missing cluster_id", without("cluster_id"), "cluster_id"),
                arguments("missing beat_index", without("beat_index"), "beat_index"),
                arguments("missing downbeat", without("downbeat"), "downbeat"),
                arguments("missing phase", without("phase"), "phase"),
                arguments("missing hlc", without("hlc"), "hlc"),
                arguments("missing deadline_at", without("deadline_at"), "deadline_at"),
                arguments("missing tempo_bpm", without("tempo_bpm"), "tempo_bpm"),
                arguments("missing window_id", without("window_id"), "window_id"),
                arguments("wrong type", withField("type", "\"backbeat.statusclaim.v1\""), "type"),
                arguments("type not a string", withField("type", "1"), "type"),
                arguments("cluster id with a dot", withField("cluster_id", "\"a.b\""), "cluster_id"),
                arguments("cluster id empty", withField("cluster_id", "\"\""), "cluster_id"),
                arguments("cluster id number", withField("cluster_id", "7"), "cluster_id"),
                arguments("beat_index string", withField("beat_index", "\"42\""), "beat_index"),
                arguments("beat_index float", withField("beat_index", "42.5"), "beat_index"),
                arguments("beat_index exponent", withField("beat_index", "4e2"), "beat_index"),
                arguments("beat_index beyond 64 bits", withField("beat_index", "9223372036854775808"), "beat_index"),
                arguments("beat_index huge", withField("beat_index", "1" + "0".repeat(40)), "beat_index"),
                arguments("beat_index null", withField("beat_index", "null"), "beat_index"),
                arguments("downbeat string", withField("downbeat", "\"false\""), "downbeat"),
                arguments("downbeat number", withField("downbeat", "0"), "downbeat"),
                arguments("phase empty", withField("phase", "\"\""), "phase"),
                arguments("phase object", withField("phase", "{}"), "phase"),
                arguments("hlc number", withField("hlc", "12"), "hlc"),
                arguments("deadline not RFC 3339", withField("deadline_at", "\"yesterday\""), "deadline_at"),
                arguments("deadline without offset", withField("deadline_at", "\"2025-09-04T12:00:00\""), "deadline_at"),
                arguments("deadline month 13", withField("deadline_at", "\"2025-13-04T12:00:00Z\""), "deadline_at"),
                arguments("deadline Feb 30", withField("deadline_at", "\"2025-02-30T12:00:00Z\""), "deadline_at"),
                arguments("deadline 10 fraction digits", withField("deadline_at", "\"2025-09-04T12:00:00.1234567891Z\""),
                        "deadline_at"),
                arguments("deadline epoch number", withField("deadline_at", "1757000000"), "deadline_at"),
                arguments("tempo string", withField("tempo_bpm", "\"120\""), "tempo_bpm"),
                arguments("tempo zero", withField("tempo_bpm", "0"), "tempo_bpm"),
                arguments("tempo negative", withField("tempo_bpm", "-3"), "tempo_bpm"),
                arguments("tempo overflow to infinity", withField("tempo_bpm", "1e400"), "tempo_bpm"),
                arguments("tempo NaN token", withField("tempo_bpm", "NaN"), "$"),
                arguments("window id short", withField("window_id", "\"abc\""), "window_id"),
                arguments("window id uppercase", withField("window_id", "\"63CB2C5B1BBBA231251CB8D7D653C399\""),
                        "window_id"),
                arguments("negative term", GOOD.replace("}", ",\"term\":-1}"), "term"),
                arguments("term float", GOOD.replace("}", ",\"term\":1.5}"), "term"),
                arguments("beats_per_bar zero", GOOD.replace("}", ",\"beats_per_bar\":0}"), "beats_per_bar"),
                arguments("phases not an array", GOOD.replace("}", ",\"phases\":\"plan\"}"), "phases"),
                arguments("phases with number", GOOD.replace("}", ",\"phases\":[\"plan\",3]}"), "phases"),
                arguments("phases empty", GOOD.replace("}", ",\"phases\":[]}"), "phases"),
                arguments("phases duplicate", GOOD.replace("}", ",\"phases\":[\"a\",\"a\"]}"), "phases"),
                arguments("phase not in phases", GOOD.replace("}", ",\"phases\":[\"plan\",\"review\"]}"), "phase"),
                arguments("duplicate field", GOOD.replace("}", ",\"beat_index\":43}"), "beat_index"),
                arguments("unquoted key", GOOD.replace("\"downbeat\"", "downbeat"), "$"),
                arguments("single quotes", GOOD.replace("\"phase\":\"execute\"", "'phase':'execute'"), "$"),
                arguments("comment", GOOD.replace("{", "{/*x*/"), "$"),
                arguments("nesting bomb", GOOD.replace("}", ",\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}"), "$"),
                arguments("missing comma", GOOD.replace(",\"phase\"", "\"phase\""), "$"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedFrames")
    void malformedFramesAreRejectedWithTheField(String name, String json, String field) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(bytes)).as(name).isInstanceOf(CodecException.class)
                .satisfies(e -> assertThat(((CodecException) e).field()).as(name + ": " + e.getMessage())
                        .isEqualTo(field));
    }

    static Stream<Arguments> invalidUtf8() {
        return Stream.of(
                arguments("lone continuation", new byte[]{(byte) 0x80}),
                arguments("overlong slash", new byte[]{(byte) 0xc0, (byte) 0xaf}),
                arguments("truncated 3-byte", new byte[]{(byte) 0xe2, (byte) 0x82}),
                arguments("surrogate", new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80}),
                arguments("beyond U+10FFFF", new byte[]{(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}),
                arguments("0xff", new byte[]{(byte) 0xff}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void invalidUtf8IsRejected(String name, byte[] bad) {
        byte[] prefix = withField("phase", "\"").getBytes(StandardCharsets.UTF_8);
        int at = GOOD.indexOf("\"phase\":\"") + 9;
        byte[] good = GOOD.getBytes(StandardCharsets.UTF_8);
        byte[] doc = new byte[good.length + bad.length];
        System.arraycopy(good, 0, doc, 0, at);
        System.arraycopy(bad, 0, doc, at, bad.length);
        System.arraycopy(good, at, doc, at + bad.length, good.length - at);
        assertThat(prefix).isNotEmpty();
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(doc)).isInstanceOf(CodecException.class)
                .hasMessageContaining("UTF-8");
    }

    @Test
    void oversizeDocumentIsRejected() {
        byte[] big = GOOD.replace("}", ",\"pad\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackbeatCodec.decodeFrame(big)).isInstanceOf(CodecException.class)
                .hasMessageContaining("limit");
    }

    @Test
    void unknownFieldsAreIgnoredAtAnyDepth() {
        String json = GOOD.replace("{\"type\"", "{\"future\":{\"a\":[1,{\"b\":null}],\"c\":\"d\"},\"type\"")
                .replace("}", ",\"z\":[true,false],\"n\":1.5e300}");
        BeatFrame f = BackbeatCodec.decodeFrame(json.getBytes(StandardCharsets.UTF_8));
        assertThat(f.beatIndex()).isEqualTo(42);
    }

    @Test
    void foreignPrecisionsAndOffsetsAreRead() {
        String[][] cases = {
            {"2025-09-04T12:00:00Z", "2025-09-04T12:00:00Z"},
            {"2025-09-04t12:00:00z", "2025-09-04T12:00:00Z"},
            {"2025-09-04T12:00:00.1Z", "2025-09-04T12:00:00.100Z"},
            {"2025-09-04T12:00:00.123456789Z", "2025-09-04T12:00:00.123456789Z"},
            {"2025-09-04T17:30:00.5+05:30", "2025-09-04T12:00:00.500Z"},
            {"2025-09-04T07:00:00-05:00", "2025-09-04T12:00:00Z"},
            {"2025-09-04T12:00:00-00:00", "2025-09-04T12:00:00Z"},
            {"2024-02-29T23:59:59.999999999+00:00", "2024-02-29T23:59:59.999999999Z"},
            {"1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500Z"},
        };
        for (String[] c : cases) {
            BeatFrame f = BackbeatCodec.decodeFrame(withField("deadline_at", "\"" + c[0] + "\"")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(f.deadlineAt()).as(c[0]).isEqualTo(Instant.parse(c[1]));
        }
    }

    @Test
    void rfc3339FormattingMatchesJavaTime() {
        Random rnd = new Random(3339);
        java.time.format.DateTimeFormatter iso = java.time.format.DateTimeFormatter
                .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);
        for (int i = 0; i < 50_000; i++) {
            long nanos = (long) ((rnd.nextDouble() * 2 - 0.6) * 7.0e18);
            Instant inst = EpochNanos.toInstant(nanos);
            assertThat(Rfc3339.formatNanos(nanos)).isEqualTo(iso.format(inst));
            assertThat(Rfc3339.parse(Rfc3339.formatNanos(nanos))).isEqualTo(nanos);
            long ms = Math.floorDiv(nanos, 1_000_000) * 1_000_000;
            assertThat(Rfc3339.parse(Rfc3339.formatMillis(nanos))).isEqualTo(ms);
        }
    }

    @Test
    void randomFramesRoundTrip() {
        Random rnd = new Random(1234);
        String[] names = {"plan", "execute", "review", "work", "計画", "ré-vue", "p\"q", "tab\t", "emoji😀"};
        for (int i = 0; i < 20_000; i++) {
            List<String> phases = new ArrayList<>(List.of(names));
            java.util.Collections.shuffle(phases, rnd);
            phases = phases.subList(0, 1 + rnd.nextInt(4));
            long beat = switch (rnd.nextInt(4)) {
                case 0 -> Long.MAX_VALUE - rnd.nextInt(10);
                case 1 -> Long.MIN_VALUE + rnd.nextInt(10);
                case 2 -> 9007199254740993L;
                default -> rnd.nextLong();
            };
            double tempo = rnd.nextBoolean() ? 0.2 + rnd.nextDouble() * 1000 : 1 + rnd.nextInt(300);
            long deadlineMs = 1_600_000_000_000L + (long) (rnd.nextDouble() * 3e11);
            BeatFrame f = new BeatFrame("c-" + rnd.nextInt(1000), beat, rnd.nextBoolean(),
                    phases.get(rnd.nextInt(phases.size())), "0199155c6200:00" + Integer.toHexString(16 + rnd.nextInt(200))
                    + ":5b5d", Instant.ofEpochMilli(deadlineMs), tempo, WindowId.of("c", beat, 4),
                    rnd.nextBoolean() ? "" : "node-" + rnd.nextInt(9), rnd.nextInt(1000), 1 + rnd.nextInt(16), phases);
            assertThat(BackbeatCodec.decodeFrame(BackbeatCodec.encodeFrame(f))).isEqualTo(f);
        }
    }

    @Test
    void deadlinesAreWrittenAtMillisecondPrecision() {
        BeatFrame f = BackbeatCodec.decodeFrame(GOOD.getBytes(StandardCharsets.UTF_8)).toBuilder()
                .deadlineAt(Instant.parse("2025-09-04T12:00:00.123999999Z")).build();
        String json = new String(BackbeatCodec.encodeFrame(f), StandardCharsets.UTF_8);
        assertThat(json).contains("\"deadline_at\":\"2025-09-04T12:00:00.123Z\"");
        assertThat(json).startsWith("{\"type\":\"backbeat.beatframe.v1\"");
        assertThat(json).contains("\"beat_index\":42").contains("\"tempo_bpm\":120,");
    }

    @Test
    void descriptorsRoundTripWithNanosecondAnchors() {
        Random rnd = new Random(99);
        for (int i = 0; i < 5_000; i++) {
            int bar = 1 + rnd.nextInt(8);
            long anchorBeat = rnd.nextInt(1_000_000) - 500_000;
            PendingTempo pending = rnd.nextBoolean() ? null
                    : new PendingTempo(0.5 + rnd.nextInt(200) + rnd.nextDouble(),
                    Timeline.downbeatOf(anchorBeat, bar) + bar * (1L + rnd.nextInt(5)));
            TimelineDescriptor d = new TimelineDescriptor("cluster_" + i, 1_757_000_000_000_000_000L + rnd.nextLong() % 1_000_000_000_000L,
                    anchorBeat, 0.2 + rnd.nextInt(500), bar, List.of("plan", "execute", "review").subList(0, 1 + rnd.nextInt(3)),
                    rnd.nextInt(50), rnd.nextBoolean() ? "" : "n" + i, pending);
            assertThat(BackbeatCodec.decodeDescriptor(BackbeatCodec.encodeDescriptor(d))).isEqualTo(d);
        }
    }

    @Test
    void malformedDescriptorsNameTheField() {
        TimelineDescriptor d = new TimelineDescriptor("c", 1_757_000_000_123_456_789L, 0, 120, 4,
                List.of("plan", "execute", "review"), 2, "n1", new PendingTempo(126, 8));
        String json = new String(BackbeatCodec.encodeDescriptor(d), StandardCharsets.UTF_8);
        assertThat(json).contains("\"anchor_time\":\"2025-09-04T15:33:20.123456789Z\"");
        String[][] bad = {
            {json.replace("\"anchor_time\"", "\"anchor_timex\""), "anchor_time"},
            {json.replace("\"at_beat_index\":8", "\"at_beat_index\":9"), "pending"},
            {json.replace("\"at_beat_index\":8", "\"at_beat_index\":\"8\""), "pending.at_beat_index"},
            {json.replace(",\"at_beat_index\":8", ""), "pending.at_beat_index"},
            {json.replace("\"pending\":{", "\"pending\":[{").replace("}}", "}]}"), "pending"},
            {json.replace("\"phases\":[\"plan\",\"execute\",\"review\"]", "\"phases\":[]"), "phases"},
            {json.replace("\"beats_per_bar\":4", "\"beats_per_bar\":-4"), "beats_per_bar"},
            {json.replace("\"type\":\"backbeat.timeline.v1\"", "\"type\":\"backbeat.beatframe.v1\""), "type"},
        };
        for (String[] b : bad) {
            assertThatThrownBy(() -> BackbeatCodec.decodeDescriptor(b[0].getBytes(StandardCharsets.UTF_8)))
                    .as(b[0]).isInstanceOf(CodecException.class)
                    .satisfies(e -> assertThat(((CodecException) e).field()).as(e.getMessage()).isEqualTo(b[1]));
        }
        // type is optional for descriptors
        TimelineDescriptor noType = BackbeatCodec.decodeDescriptor(
                json.replace("\"type\":\"backbeat.timeline.v1\",", "").getBytes(StandardCharsets.UTF_8));
        assertThat(noType).isEqualTo(d);
    }

    @Test
    void claimsRoundTripAndRejectUnknownStates() {
        StatusClaim c = new StatusClaim("c", "svc-1", 77, "execute", ClaimState.LATE, "0199155c6200:0001:5b5d", 12,
                "slow disk");
        assertThat(BackbeatCodec.decodeClaim(BackbeatCodec.encodeClaim(c))).isEqualTo(c);
        StatusClaim noDetail = new StatusClaim("c", "svc-1", 77, "execute", ClaimState.COMPLETED, "1:1:1", 0, null);
        assertThat(BackbeatCodec.decodeClaim(BackbeatCodec.encodeClaim(noDetail))).isEqualTo(noDetail);
        String json = new String(BackbeatCodec.encodeClaim(c), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackbeatCodec.decodeClaim(json.replace("\"late\"", "\"done\"").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(CodecException.class).hasMessageStartingWith("state:");
        assertThatThrownBy(() -> BackbeatCodec.decodeClaim(json.replace("\"duration_ms\":12", "\"duration_ms\":-1")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(CodecException.class).hasMessageStartingWith("duration_ms:");
        assertThatThrownBy(() -> BackbeatCodec.decodeClaim(json.replace(",\"agent_id\":\"svc-1\"", "")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(CodecException.class).hasMessageStartingWith("agent_id:");
    }
}
