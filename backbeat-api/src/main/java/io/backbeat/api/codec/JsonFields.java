package io.backbeat.api.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.backbeat.api.ClusterId;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The field readers and writers behind {@link BackbeatCodec}: the parser factory with its limits,
 * strict UTF-8, one field at a time with the checks the protocol asks for (type, range, precision,
 * presence), each failure a {@link CodecException} naming the field.
 */
final class JsonFields {
    static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64)
                    .maxStringLength(BackbeatCodec.MAX_DOCUMENT_BYTES).build())
            .build();

    private JsonFields() {
    }

    static JsonParser open(byte[] json, int offset, int length) throws IOException {
        if (length > BackbeatCodec.MAX_DOCUMENT_BYTES) {
            throw new CodecException(CodecException.DOCUMENT, "document of " + length + " bytes exceeds the "
                    + BackbeatCodec.MAX_DOCUMENT_BYTES + "-byte limit");
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

    static void finish(JsonParser p) throws IOException {
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

    static int markSeen(int seen, int bit, String name) {
        if (bit != 0 && (seen & bit) != 0) {
            throw new CodecException(name, "appears more than once");
        }
        return seen | bit;
    }

    static void requireAll(int seen, int mask, String[] names) {
        if ((seen & mask) != mask) {
            for (int i = 0; i < names.length; i++) {
                if ((seen & (1 << i)) == 0) {
                    throw new CodecException(names[i], "missing");
                }
            }
        }
    }

    static void expectType(JsonParser p, String expected) throws IOException {
        String t = readString(p, "type");
        if (!expected.equals(t)) {
            throw new CodecException("type", "expected '" + expected + "', got '" + t + "'");
        }
    }

    static String clusterId(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        if (!ClusterId.isValid(s)) {
            throw new CodecException(field, "must be 1-64 characters of [A-Za-z0-9_-], got '" + s + "'");
        }
        return s;
    }

    static String readString(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t != JsonToken.VALUE_STRING) {
            throw new CodecException(field, "expected a string, got " + describe(p, t));
        }
        return p.getText();
    }

    static String readNullableString(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.VALUE_STRING) {
            throw new CodecException(field, "expected a string or null, got " + describe(p, t));
        }
        return p.getText();
    }

    static String readNonEmpty(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        if (s.isEmpty()) {
            throw new CodecException(field, "must not be empty");
        }
        return s;
    }

    static String readWindowId(JsonParser p, String field) throws IOException {
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

    static boolean readBoolean(JsonParser p, String field) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return false;
        }
        throw new CodecException(field, "expected true or false, got " + describe(p, t));
    }

    static long readLong(JsonParser p, String field) throws IOException {
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

    static long readNonNegative(JsonParser p, String field) throws IOException {
        long v = readLong(p, field);
        if (v < 0) {
            throw new CodecException(field, "must be >= 0, got " + v);
        }
        return v;
    }

    static int readBeatsPerBar(JsonParser p, String field) throws IOException {
        long v = readLong(p, field);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new CodecException(field, "must be between 1 and " + Integer.MAX_VALUE + ", got " + v);
        }
        return (int) v;
    }

    static double readTempo(JsonParser p, String field) throws IOException {
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

    static long readTime(JsonParser p, String field) throws IOException {
        String s = readString(p, field);
        try {
            return Rfc3339.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CodecException(field, e.getMessage(), e);
        }
    }

    static List<String> readPhases(JsonParser p, String field) throws IOException {
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

    static void writeTempo(JsonGenerator g, String name, double bpm) throws IOException {
        if (bpm == Math.rint(bpm) && Math.abs(bpm) < 1e15) {
            g.writeNumberField(name, (long) bpm);
        } else {
            g.writeNumberField(name, bpm);
        }
    }

    static void writePhases(JsonGenerator g, List<String> phases) throws IOException {
        g.writeArrayFieldStart("phases");
        for (int i = 0; i < phases.size(); i++) {
            g.writeString(phases.get(i));
        }
        g.writeEndArray();
    }

    static String describe(JsonParser p, JsonToken t) throws IOException {
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

    static CodecException syntax(IOException e) {
        String msg = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        return new CodecException(CodecException.DOCUMENT, "malformed JSON: " + msg, e);
    }
}
