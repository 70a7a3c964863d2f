package io.backbeat.api.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.TimelineDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON encoding of the wire types, on Jackson's streaming API.
 *
 * <p>Writing: snake_case names, the {@code type} field first, {@code deadline_at} in RFC 3339 UTC
 * with millisecond precision, the descriptor's {@code anchor_time} with nanosecond precision, the
 * v1 extensions always. Reading: unknown fields are skipped, integer fields must be JSON integers
 * within 64 bits (no floats, no exponents), timestamps of any precision and offset, and every
 * required field must be present exactly once. Any violation raises {@link CodecException} naming
 * the field; nothing half-decoded is returned.
 *
 * <p>All methods are static and thread-safe.
 */
public final class BackbeatCodec {
    /** {@code type} of a TimelineDescriptor document (optional when reading). */
    public static final String DESCRIPTOR_TYPE = "backbeat.timeline.v1";
    /** Largest document accepted, in bytes. */
    public static final int MAX_DOCUMENT_BYTES = 64 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64)
                    .maxStringLength(MAX_DOCUMENT_BYTES).build())
            .build();

    private BackbeatCodec() {
    }

    // ------------------------------------------------------------------ BeatFrame

    /** A frame as UTF-8 JSON. */
    public static byte[] encodeFrame(BeatFrame f) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(384); JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", BeatFrame.TYPE);
            g.writeStringField("cluster_id", f.clusterId());
            g.writeNumberField("beat_index", f.beatIndex());
            g.writeBooleanField("downbeat", f.downbeat());
            g.writeStringField("phase", f.phase());
            g.writeStringField("hlc", f.hlc());
            g.writeStringField("deadline_at", Rfc3339.formatMillis(EpochNanos.of(f.deadlineAt())));
            writeTempo(g, "tempo_bpm", f.tempoBpm());
            g.writeStringField("window_id", f.windowId());
            g.writeStringField("leader_id", f.leaderId());
            g.writeNumberField("term", f.term());
            // optional extensions: a frame decoded without them re-encodes without them
            if (f.beatsPerBar() > 0) {
                g.writeNumberField("beats_per_bar", f.beatsPerBar());
            }
            if (!f.phases().isEmpty()) {
                writePhases(g, f.phases());
            }
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a frame. */
    public static BeatFrame decodeFrame(byte[] json) {
        return decodeFrame(json, 0, json.length);
    }

    /** Decodes a frame from {@code json[offset, offset+length)}. */
    public static BeatFrame decodeFrame(byte[] json, int offset, int length) {
        try (JsonParser p = open(json, offset, length)) {
            String clusterId = null, phase = null, hlc = null, windowId = null, leaderId = "";
            long beatIndex = 0, term = 0, deadline = 0;
            boolean downbeat = false;
            double tempo = 0;
            int beatsPerBar = 0;
            List<String> phases = List.of();
            int seen = 0;
            String name;
            while ((name = p.nextFieldName()) != null) {
                int bit;
                switch (name) {
                    case "type" -> { bit = 1; expectType(p, BeatFrame.TYPE); }
                    case "cluster_id" -> { bit = 2; clusterId = clusterId(p, name); }
                    case "beat_index" -> { bit = 4; beatIndex = readLong(p, name); }
                    case "downbeat" -> { bit = 8; downbeat = readBoolean(p, name); }
                    case "phase" -> { bit = 16; phase = readNonEmpty(p, name); }
                    case "hlc" -> { bit = 32; hlc = readNonEmpty(p, name); }
                    case "deadline_at" -> { bit = 64; deadline = readTime(p, name); }
                    case "tempo_bpm" -> { bit = 128; tempo = readTempo(p, name); }
                    case "window_id" -> { bit = 256; windowId = readWindowId(p, name); }
                    case "leader_id" -> { bit = 512; leaderId = readString(p, name); }
                    case "term" -> { bit = 1024; term = readNonNegative(p, name); }
                    case "beats_per_bar" -> { bit = 2048; beatsPerBar = readBeatsPerBar(p, name); }
                    case "phases" -> { bit = 4096; phases = readPhases(p, name); }
                    default -> { bit = 0; p.nextToken(); p.skipChildren(); }
                }
                seen = markSeen(seen, bit, name);
            }
            finish(p);
            requireAll(seen, 511, FRAME_REQUIRED);
            if (phases.size() > 0 && !phases.contains(phase)) {
                throw new CodecException("phase", "'" + phase + "' is not one of the frame's phases " + phases);
            }
            return new BeatFrame(clusterId, beatIndex, downbeat, phase, hlc, EpochNanos.toInstant(deadline), tempo,
                    windowId, leaderId, term, beatsPerBar, phases);
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private static final String[] FRAME_REQUIRED = {"type", "cluster_id", "beat_index", "downbeat", "phase", "hlc",
        "deadline_at", "tempo_bpm", "window_id"};

    // ------------------------------------------------------------------ TimelineDescriptor

    /** A descriptor as UTF-8 JSON. */
    public static byte[] encodeDescriptor(TimelineDescriptor d) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(384); JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", DESCRIPTOR_TYPE);
            g.writeStringField("cluster_id", d.clusterId());
            g.writeStringField("anchor_time", Rfc3339.formatNanos(d.anchorTimeNanos()));
            g.writeNumberField("anchor_beat_index", d.anchorBeatIndex());
            writeTempo(g, "tempo_bpm", d.tempoBpm());
            g.writeNumberField("beats_per_bar", d.beatsPerBar());
            writePhases(g, d.phases());
            g.writeNumberField("term", d.term());
            g.writeStringField("leader_id", d.leaderId());
            if (d.pending() == null) {
                g.writeNullField("pending");
            } else {
                g.writeObjectFieldStart("pending");
                writeTempo(g, "tempo_bpm", d.pending().tempoBpm());
                g.writeNumberField("at_beat_index", d.pending().atBeatIndex());
                g.writeEndObject();
            }
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a descriptor. */
    public static TimelineDescriptor decodeDescriptor(byte[] json) {
        return decodeDescriptor(json, 0, json.length);
    }

    /** Decodes a descriptor from {@code json[offset, offset+length)}. */
    public static TimelineDescriptor decodeDescriptor(byte[] json, int offset, int length) {
        try (JsonParser p = open(json, offset, length)) {
            String clusterId = null, leaderId = "";
            long anchorTime = 0, anchorBeat = 0, term = 0;
            double tempo = 0;
            int bar = 0;
            List<String> phases = null;
            PendingTempo pending = null;
            int seen = 0;
            String name;
            while ((name = p.nextFieldName()) != null) {
                int bit;
                switch (name) {
                    case "type" -> { bit = 1; expectType(p, DESCRIPTOR_TYPE); }
                    case "cluster_id" -> { bit = 2; clusterId = clusterId(p, name); }
                    case "anchor_time" -> { bit = 4; anchorTime = readTime(p, name); }
                    case "anchor_beat_index" -> { bit = 8; anchorBeat = readLong(p, name); }
                    case "tempo_bpm" -> { bit = 16; tempo = readTempo(p, name); }
                    case "beats_per_bar" -> { bit = 32; bar = readBeatsPerBar(p, name); }
                    case "phases" -> { bit = 64; phases = readPhases(p, name); }
                    case "term" -> { bit = 128; term = readNonNegative(p, name); }
                    case "leader_id" -> { bit = 256; leaderId = readString(p, name); }
                    case "pending" -> { bit = 512; pending = readPending(p); }
                    default -> { bit = 0; p.nextToken(); p.skipChildren(); }
                }
                seen = markSeen(seen, bit, name);
            }
            finish(p);
            requireAll(seen | 1, 127, DESCRIPTOR_REQUIRED);
            try {
                return new TimelineDescriptor(clusterId, anchorTime, anchorBeat, tempo, bar, phases, term, leaderId,
                        pending);
            } catch (IllegalArgumentException e) {
                String field = e.getMessage().startsWith("a pending") ? "pending"
                        : e.getMessage().contains("phase") ? "phases" : CodecException.DOCUMENT;
                throw new CodecException(field, e.getMessage(), e);
            }
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private static final String[] DESCRIPTOR_REQUIRED = {"type", "cluster_id", "anchor_time", "anchor_beat_index",
        "tempo_bpm", "beats_per_bar", "phases"};

    private static PendingTempo readPending(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw new CodecException("pending", "expected an object or null, got " + describe(p, t));
        }
        double tempo = 0;
        long at = 0;
        int seen = 0;
        String name;
        while ((name = p.nextFieldName()) != null) {
            int bit;
            switch (name) {
                case "tempo_bpm" -> { bit = 1; tempo = readTempo(p, "pending.tempo_bpm"); }
                case "at_beat_index" -> { bit = 2; at = readLong(p, "pending.at_beat_index"); }
                default -> { bit = 0; p.nextToken(); p.skipChildren(); }
            }
            seen = markSeen(seen, bit, "pending." + name);
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw new CodecException("pending", "expected a field name or '}'");
        }
        if ((seen & 1) == 0) {
            throw new CodecException("pending.tempo_bpm", "missing");
        }
        if ((seen & 2) == 0) {
            throw new CodecException("pending.at_beat_index", "missing");
        }
        return new PendingTempo(tempo, at);
    }

    // ------------------------------------------------------------------ StatusClaim

    /** A status claim as UTF-8 JSON. */
    public static byte[] encodeClaim(StatusClaim c) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(256); JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", StatusClaim.TYPE);
            g.writeStringField("cluster_id", c.clusterId());
            g.writeStringField("agent_id", c.agentId());
            g.writeNumberField("beat_index", c.beatIndex());
            g.writeStringField("phase", c.phase());
            g.writeStringField("state", c.state().wireName());
            g.writeStringField("hlc", c.hlc());
            g.writeNumberField("duration_ms", c.durationMs());
            if (c.detail() != null) {
                g.writeStringField("detail", c.detail());
            }
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a status claim. */
    public static StatusClaim decodeClaim(byte[] json) {
        return decodeClaim(json, 0, json.length);
    }

    /** Decodes a status claim from {@code json[offset, offset+length)}. */
    public static StatusClaim decodeClaim(byte[] json, int offset, int length) {
        try (JsonParser p = open(json, offset, length)) {
            String clusterId = null, agentId = null, phase = null, hlc = null, detail = null;
            long beat = 0, duration = 0;
            ClaimState state = null;
            int seen = 0;
            String name;
            while ((name = p.nextFieldName()) != null) {
                int bit;
                switch (name) {
                    case "type" -> { bit = 1; expectType(p, StatusClaim.TYPE); }
                    case "cluster_id" -> { bit = 2; clusterId = clusterId(p, name); }
                    case "agent_id" -> { bit = 4; agentId = readNonEmpty(p, name); }
                    case "beat_index" -> { bit = 8; beat = readLong(p, name); }
                    case "phase" -> { bit = 16; phase = readNonEmpty(p, name); }
                    case "state" -> {
                        bit = 32;
                        String s = readString(p, name);
                        state = ClaimState.fromWire(s);
                        if (state == null) {
                            throw new CodecException(name, "expected completed, failed, skipped or late, got '" + s + "'");
                        }
                    }
                    case "hlc" -> { bit = 64; hlc = readNonEmpty(p, name); }
                    case "duration_ms" -> { bit = 128; duration = readNonNegative(p, name); }
                    case "detail" -> { bit = 256; detail = readNullableString(p, name); }
                    default -> { bit = 0; p.nextToken(); p.skipChildren(); }
                }
                seen = markSeen(seen, bit, name);
            }
            finish(p);
            requireAll(seen, 255, CLAIM_REQUIRED);
            return new StatusClaim(clusterId, agentId, beat, phase, state, hlc, duration, detail);
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private static final String[] CLAIM_REQUIRED = {"type", "cluster_id", "agent_id", "beat_index", "phase", "state",
        "hlc", "duration_ms"};

    // ------------------------------------------------------------------ helpers

    private static JsonParser open(byte[] json, int offset, int length) throws IOException {
        if (length > MAX_DOCUMENT_BYTES) {
            throw new CodecException(CodecException.DOCUMENT, "document of " + length + " bytes exceeds the "
                    + MAX_DOCUMENT_BYTES + "-byte limit");
        }
        checkUtf8(json, offset, length);
        JsonParser p = JSON.createParser(json, offset, length);
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_OBJECT) {
            p.close();
            throw new CodecException(CodecException.DOCUMENT, t == null ? "empty document"
                    : "expected a JSON object, got " + t.asString());
        }
        return p;
    }

    /** Rejects malformed UTF-8 (Jackson would accept some of it inside strings). */
    static void checkUtf8(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                i++;
                continue;
            }
            int need;
            int min;
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
                min = 0x80;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                min = 0x800;
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                min = 0x10000;
            } else {
                throw new CodecException(CodecException.DOCUMENT, "invalid UTF-8 byte 0x"
                        + Integer.toHexString(c) + " at offset " + (i - off));
            }
            if (i + need >= end) {
                throw new CodecException(CodecException.DOCUMENT, "truncated UTF-8 sequence at offset " + (i - off));
            }
            int cp = c & (0x3f >> need);
            for (int k = 1; k <= need; k++) {
                int cc = b[i + k] & 0xff;
                if ((cc & 0xc0) != 0x80) {
                    throw new CodecException(CodecException.DOCUMENT, "invalid UTF-8 continuation at offset "
                            + (i + k - off));
                }
                cp = (cp << 6) | (cc & 0x3f);
            }
            if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                throw new CodecException(CodecException.DOCUMENT, "invalid UTF-8 code point at offset " + (i - off));
            }
            i += need + 1;
        }
    }

    private static void finish(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw new CodecException(CodecException.DOCUMENT, "expected a field name or '}', got "
                    + describe(p, p.currentToken()));
        }
        JsonToken after = p.nextToken();
        if (after != null) {
            throw new CodecException(CodecException.DOCUMENT, "unexpected content after the object: "
                    + describe(p, after));
        }
    }

    private static int markSeen(int seen, int bit, String name) {
        if (bit != 0 && (seen & bit) != 0) {
            throw new CodecException(name, "appears more than once");
        }
        return seen | bit;
    }

    private static void requireAll(int seen, int mask, String[] names) {
        if ((seen & mask) != mask) {
            for (int i = 0; i < names.length; i++) {
                if ((seen & (1 << i)) == 0) {
                    throw new CodecException(names[i], "missing");
                }
            }
        }
    }

    private static void expectType(JsonParser p, String expected) throws IOException {
        String t = readString(p, "type");
        if (!expected.equals(t)) {
            throw new CodecException("type", "expected '" + expected + "', got '" + t + "'");
        }
    }

    private static String clusterId(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        if (!ClusterId.isValid(s)) {
            throw new CodecException(field, "must be 1-64 characters of [A-Za-z0-9_-], got '" + s + "'");
        }
        return s;
    }

    private static String readString(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.VALUE_STRING) {
            throw new CodecException(field, "expected a string, got " + describe(p, t));
        }
        return p.getText();
    }

    private static String readNullableString(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw new CodecException(field, "expected a string or null, got " + describe(p, t));
        }
        return p.getText();
    }

    private static String readNonEmpty(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        if (s.isEmpty()) {
            throw new CodecException(field, "must not be empty");
        }
        return s;
    }

    private static String readWindowId(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        boolean ok = s.length() == 32;
        for (int i = 0; ok && i < 32; i++) {
            char c = s.charAt(i);
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
        if (!ok) {
            throw new CodecException(field, "expected 32 lowercase hex digits, got '" + s + "'");
        }
        return s;
    }

    private static boolean readBoolean(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return false;
        }
        throw new CodecException(field, "expected true or false, got " + describe(p, t));
    }

    private static long readLong(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw new CodecException(field, "expected an integer, got " + describe(p, t));
        }
        JsonParser.NumberType nt = p.getNumberType();
        if (nt != JsonParser.NumberType.INT && nt != JsonParser.NumberType.LONG) {
            throw new CodecException(field, "expected an integer within 64 bits, got " + p.getText());
        }
        return p.getLongValue();
    }

    private static long readNonNegative(JsonParser p, String field) throws IOException {
        long v = readLong(p, field);
        if (v < 0) {
            throw new CodecException(field, "must be >= 0, got " + v);
        }
        return v;
    }

    private static int readBeatsPerBar(JsonParser p, String field) throws IOException {
        long v = readLong(p, field);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new CodecException(field, "must be between 1 and " + Integer.MAX_VALUE + ", got " + v);
        }
        return (int) v;
    }

    private static double readTempo(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
            throw new CodecException(field, "expected a number, got " + describe(p, t));
        }
        double v = p.getDoubleValue();
        if (!Double.isFinite(v) || v <= 0) {
            throw new CodecException(field, "must be a finite number > 0, got " + p.getText());
        }
        return v;
    }

    private static long readTime(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        try {
            return Rfc3339.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CodecException(field, e.getMessage(), e);
        }
    }

    private static List<String> readPhases(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.START_ARRAY) {
            throw new CodecException(field, "expected an array of phase names, got " + describe(p, t));
        }
        List<String> out = new ArrayList<>(4);
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_STRING) {
                throw new CodecException(field, "expected phase names (strings), got " + describe(p, t));
            }
            String s = p.getText();
            if (s.isBlank()) {
                throw new CodecException(field, "phase names must not be blank");
            }
            if (out.contains(s)) {
                throw new CodecException(field, "phase '" + s + "' is listed twice");
            }
            out.add(s);
        }
        if (out.isEmpty()) {
            throw new CodecException(field, "must list at least one phase");
        }
        return List.copyOf(out);
    }

    private static void writeTempo(JsonGenerator g, String name, double bpm) throws IOException {
        if (bpm == Math.rint(bpm) && Math.abs(bpm) < 1e15) {
            g.writeNumberField(name, (long) bpm);
        } else {
            g.writeNumberField(name, bpm);
        }
    }

    private static void writePhases(JsonGenerator g, List<String> phases) throws IOException {
        g.writeArrayFieldStart("phases");
        for (int i = 0; i < phases.size(); i++) {
            g.writeString(phases.get(i));
        }
        g.writeEndArray();
    }

    private static String describe(JsonParser p, JsonToken t) throws IOException {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case VALUE_STRING -> "the string '" + p.getText() + "'";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + p.getText();
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_NULL -> "null";
            case VALUE_TRUE, VALUE_FALSE -> p.getText();
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    private static CodecException syntax(IOException e) {
        String msg = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        return new CodecException(CodecException.DOCUMENT, "malformed JSON: " + msg, e);
    }
}
