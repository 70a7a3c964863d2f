package io.backbeat.rhythm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A slot index from an instance id, for clones that want no membership protocol: stable across
 * restarts and identical on every machine. Two ids can share a slot (then those two clones poll
 * together); with membership ({@link SlotScheduler#reslot}) indexes are unique.
 */
public final class HashSlot {
    private HashSlot() {
    }

    /** {@code floorMod(first 8 bytes of sha256(instanceId), slots)}. */
    public static int of(String instanceId, int slots) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(instanceId.getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xff);
            }
            return (int) Math.floorMod(h, (long) slots);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
