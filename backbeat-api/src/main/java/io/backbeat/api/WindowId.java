package io.backbeat.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Window ids: {@code lowercase hex(sha256(utf8(cluster_id + ":" + downbeat_beat_index)))[0:32]}.
 * All beats of one bar share a window id. Thread-safe; each thread reuses one digest, one input
 * buffer holding the last cluster id's bytes, and one output buffer, so a call allocates only the
 * result string; the last id computed on a thread is remembered, as all phases of a bar share it.
 */
public final class WindowId {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private WindowId() {
    }

    /** The window id of the bar that contains {@code beatIndex}. */
    public static String of(String clusterId, long beatIndex, int beatsPerBar) {
        if (beatsPerBar < 1) {
            throw new IllegalArgumentException("beats_per_bar must be >= 1, got " + beatsPerBar);
        }
        return forDownbeat(clusterId, Timeline.downbeatOf(beatIndex, beatsPerBar));
    }

    /** The window id of the bar that starts at downbeat {@code downbeatBeatIndex}. */
    public static String forDownbeat(String clusterId, long downbeatBeatIndex) {
        Scratch sc = SCRATCH.get();
        if (downbeatBeatIndex == sc.lastDownbeat && clusterId.equals(sc.lastCluster)) {
            return sc.lastId; // every phase of a bar shares its window id
        }
        byte[] buf = sc.input(clusterId);
        int len = sc.prefixLength;
        len = writeDecimal(buf, len, downbeatBeatIndex);
        MessageDigest md = sc.digest;
        md.update(buf, 0, len);
        byte[] digest = sc.output;
        try {
            md.digest(digest, 0, digest.length); // also resets the digest
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("SHA-256 digest failed", e);
        }
        char[] out = new char[32];
        for (int i = 0; i < 16; i++) {
            int b = digest[i] & 0xff;
            out[2 * i] = HEX[b >>> 4];
            out[2 * i + 1] = HEX[b & 0x0f];
        }
        String id = new String(out);
        sc.lastCluster = clusterId;
        sc.lastDownbeat = downbeatBeatIndex;
        sc.lastId = id;
        return id;
    }

    /** Writes {@code v} in decimal at {@code at}; returns the new length. */
    private static int writeDecimal(byte[] buf, int at, long v) {
        if (v == Long.MIN_VALUE) {
            byte[] min = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(min, 0, buf, at, min.length);
            return at + min.length;
        }
        if (v < 0) {
            buf[at++] = '-';
            v = -v;
        }
        int start = at;
        do {
            buf[at++] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        for (int i = start, j = at - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return at;
    }

    /** Per-thread digest, output buffer and the UTF-8 bytes of the last cluster id plus ':'. */
    private static final class Scratch {
        final MessageDigest digest = newDigest();
        final byte[] output = new byte[32];
        String cluster;
        byte[] buffer = new byte[64];
        int prefixLength;
        String lastCluster;
        long lastDownbeat;
        String lastId;

        byte[] input(String clusterId) {
            if (!clusterId.equals(cluster)) {
                byte[] c = clusterId.getBytes(StandardCharsets.UTF_8);
                if (buffer.length < c.length + 22) {
                    buffer = new byte[c.length + 22];
                }
                System.arraycopy(c, 0, buffer, 0, c.length);
                buffer[c.length] = ':';
                prefixLength = c.length + 1;
                cluster = clusterId;
            }
            return buffer;
        }
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
