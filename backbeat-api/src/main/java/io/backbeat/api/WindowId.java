package io.backbeat.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Window ids: {@code lowercase hex(sha256(utf8(cluster_id + ":" + downbeat_beat_index)))[0:32]}.
 * All beats of one bar share a window id. Thread-safe; one digest per thread is reused, so a call
 * allocates only its input bytes and the result string.
 */
public final class WindowId {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(WindowId::newDigest);

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
        byte[] input = (clusterId + ':' + downbeatBeatIndex).getBytes(StandardCharsets.UTF_8);
        MessageDigest md = SHA256.get();
        byte[] digest = md.digest(input); // digest() also resets
        char[] out = new char[32];
        for (int i = 0; i < 16; i++) {
            int b = digest[i] & 0xff;
            out[2 * i] = HEX[b >>> 4];
            out[2 * i + 1] = HEX[b & 0x0f];
        }
        return new String(out);
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
