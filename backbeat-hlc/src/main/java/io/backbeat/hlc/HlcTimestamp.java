package io.backbeat.hlc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A hybrid logical clock timestamp: 48-bit wall milliseconds, 16-bit logical counter and a 16-bit
 * node suffix (the first four hex digits of {@code sha256(node_id)}), ordered by
 * (wall, logical, suffix).
 *
 * <p>Text form: {@code wall_ms} as 12 lowercase hex digits, {@code :}, the logical counter as 4,
 * {@code :}, the suffix as 4 ({@code 0199155c6200:0000:5b5d}). {@link #parse} also accepts
 * unpadded fields and returns the canonical value.
 *
 * @param wallMs  milliseconds since the Unix epoch, 0..2^48-1
 * @param logical logical counter, 0..0xffff
 * @param suffix  node suffix, 0..0xffff
 */
public record HlcTimestamp(long wallMs, int logical, int suffix) implements Comparable<HlcTimestamp> {
    /** Largest wall time representable (48 bits). */
    public static final long MAX_WALL_MS = (1L << 48) - 1;
    /** Largest logical counter (16 bits). */
    public static final int MAX_LOGICAL = 0xffff;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    public HlcTimestamp {
        if (wallMs < 0 || wallMs > MAX_WALL_MS) {
            throw new IllegalArgumentException("wall_ms must be within 48 bits, got " + wallMs);
        }
        if (logical < 0 || logical > MAX_LOGICAL) {
            throw new IllegalArgumentException("logical must be within 16 bits, got " + logical);
        }
        if (suffix < 0 || suffix > 0xffff) {
            throw new IllegalArgumentException("suffix must be within 16 bits, got " + suffix);
        }
    }

    /** The compact 64-bit form: {@code wallMs << 16 | logical}. The suffix is not included. */
    public long pack() {
        return pack(wallMs, logical);
    }

    /** Packs a wall time and logical counter. */
    public static long pack(long wallMs, int logical) {
        return (wallMs << 16) | logical;
    }

    /** Rebuilds a timestamp from {@link #pack()} and a suffix. */
    public static HlcTimestamp unpack(long packed, int suffix) {
        return new HlcTimestamp(packed >>> 16, (int) (packed & 0xffff), suffix);
    }

    /** The node suffix of a node id: the first 16 bits of {@code sha256(utf8(nodeId))}. */
    public static int suffixOf(String nodeId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(nodeId.getBytes(StandardCharsets.UTF_8));
            return ((d[0] & 0xff) << 8) | (d[1] & 0xff);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    @Override
    public int compareTo(HlcTimestamp o) {
        int c = Long.compare(wallMs, o.wallMs);
        if (c != 0) {
            return c;
        }
        c = Integer.compare(logical, o.logical);
        return c != 0 ? c : Integer.compare(suffix, o.suffix);
    }

    /** {@code true} when this timestamp orders strictly after {@code other}. */
    public boolean isAfter(HlcTimestamp other) {
        return compareTo(other) > 0;
    }

    /** The canonical text form. */
    @Override
    public String toString() {
        char[] c = new char[22];
        putHex(c, 0, wallMs, 12);
        c[12] = ':';
        putHex(c, 13, logical, 4);
        c[17] = ':';
        putHex(c, 18, suffix, 4);
        return new String(c);
    }

    private static void putHex(char[] c, int at, long v, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            c[at + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    /**
     * Parses {@code wall:logical:suffix} (lowercase or uppercase hex; wall 1-12 digits, logical 1-4,
     * suffix 1-4).
     *
     * @throws IllegalArgumentException saying what is wrong with the text
     */
    public static HlcTimestamp parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("HLC text is null");
        }
        int first = text.indexOf(':');
        int second = first < 0 ? -1 : text.indexOf(':', first + 1);
        if (first < 0 || second < 0 || text.indexOf(':', second + 1) >= 0) {
            throw new IllegalArgumentException("HLC must be wall:logical:suffix, got '" + text + "'");
        }
        long wall = hex(text, 0, first, 12, "wall_ms");
        long logical = hex(text, first + 1, second, 4, "logical");
        long suffix = hex(text, second + 1, text.length(), 4, "suffix");
        return new HlcTimestamp(wall, (int) logical, (int) suffix);
    }

    private static long hex(String s, int from, int to, int maxDigits, String field) {
        int n = to - from;
        if (n < 1 || n > maxDigits) {
            throw new IllegalArgumentException("HLC " + field + " must be 1-" + maxDigits + " hex digits, got '"
                    + s.substring(from, to) + "' in '" + s + "'");
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(s.charAt(i), 16);
            if (d < 0 || s.charAt(i) > 'f') {
                throw new IllegalArgumentException("HLC " + field + " has a non-hex character '" + s.charAt(i)
                        + "' in '" + s + "'");
            }
            v = (v << 4) | d;
        }
        return v;
    }
}
