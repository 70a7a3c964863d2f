package io.backbeat.api.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.TimelineDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import static io.backbeat.api.codec.JsonFields.JSON;
import static io.backbeat.api.codec.JsonFields.clusterId;
import static io.backbeat.api.codec.JsonFields.describe;
import static io.backbeat.api.codec.JsonFields.expectType;
import static io.backbeat.api.codec.JsonFields.finish;
import static io.backbeat.api.codec.JsonFields.markSeen;
import static io.backbeat.api.codec.JsonFields.open;
import static io.backbeat.api.codec.JsonFields.readBeatsPerBar;
import static io.backbeat.api.codec.JsonFields.readBoolean;
import static io.backbeat.api.codec.JsonFields.readLong;
import static io.backbeat.api.codec.JsonFields.readNonEmpty;
import static io.backbeat.api.codec.JsonFields.readNonNegative;
import static io.backbeat.api.codec.JsonFields.readNullableString;
import static io.backbeat.api.codec.JsonFields.readPhases;
import static io.backbeat.api.codec.JsonFields.readString;
import static io.backbeat.api.codec.JsonFields.readTempo;
import static io.backbeat.api.codec.JsonFields.readTime;
import static io.backbeat.api.codec.JsonFields.readWindowId;
import static io.backbeat.api.codec.JsonFields.requireAll;
import static io.backbeat.api.codec.JsonFields.syntax;
import static io.backbeat.api.codec.JsonFields.writePhases;
import static io.backbeat.api.codec.JsonFields.writeTempo;

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
            if (f.nextTempo() != null) {
                writeTempo(g, "next_tempo_bpm", f.nextTempo().tempoBpm());
                g.writeNumberField("next_tempo_at_beat", f.nextTempo().atBeatIndex());
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
            double nextTempo = 0;
            long nextAt = 0;
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
                    case "next_tempo_bpm" -> { bit = 8192; nextTempo = readTempo(p, name); }
                    case "next_tempo_at_beat" -> { bit = 16384; nextAt = readLong(p, name); }
                    default -> { bit = 0; p.nextToken(); p.skipChildren(); }
                }
                seen = markSeen(seen, bit, name);
            }
            finish(p);
            requireAll(seen, 511, FRAME_REQUIRED);
            PendingTempo next = null;
            if ((seen & (8192 | 16384)) != 0) {
                if ((seen & 8192) == 0 || (seen & 16384) == 0) {
                    String missing = (seen & 8192) == 0 ? "next_tempo_bpm" : "next_tempo_at_beat";
                    throw new CodecException(missing, "missing: next_tempo_bpm and next_tempo_at_beat come together");
                }
                if (nextAt <= beatIndex || (beatsPerBar > 0 && Math.floorMod(nextAt, beatsPerBar) != 0)) {
                    throw new CodecException("next_tempo_at_beat", nextAt + " is not a downbeat after beat " + beatIndex
                            + (beatsPerBar > 0 ? " (bar of " + beatsPerBar + ")" : ""));
                }
                next = new PendingTempo(nextTempo, nextAt);
            }
            if (phases.size() > 0 && !phases.contains(phase)) {
                throw new CodecException("phase", "'" + phase + "' is not one of the frame's phases " + phases);
            }
            return new BeatFrame(clusterId, beatIndex, downbeat, phase, hlc, EpochNanos.toInstant(deadline), tempo,
                    windowId, leaderId, term, beatsPerBar, phases, next);
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
}
