package io.backbeat.pulse.clock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary clock probe and reply (big-endian, instants in epoch nanoseconds):
 *
 * <pre>
 * probe: version(1)=1 type(1)='P' t0(8)                 nodeId(UTF-8, 1-255 bytes)
 * reply: version(1)=1 type(1)='R' t0(8) t1(8) t2(8)     nodeId(UTF-8, 1-255 bytes)
 * </pre>
 *
 * The reply echoes the probe's {@code t0}; {@code t1}, {@code t2} and the node id are the
 * responder's. Decoders return {@code null} for anything else.
 */
final class ClockWire {
    static final byte VERSION = 1;
    static final byte PROBE = 'P';
    static final byte REPLY = 'R';
    static final int MAX_NODE_ID_BYTES = 255;
    private static final int PROBE_HEADER = 2 + 8;
    private static final int REPLY_HEADER = 2 + 3 * 8;

    record Probe(String nodeId, long t0) {
    }

    record Reply(String nodeId, long t0, long t1, long t2) {
    }

    private ClockWire() {
    }

    /** The node id as UTF-8, or an exception when it is empty or too long for the wire. */
    static byte[] nodeIdBytes(String nodeId) {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        if (id.length == 0 || id.length > MAX_NODE_ID_BYTES) {
            throw new IllegalArgumentException("node id must be 1-" + MAX_NODE_ID_BYTES + " UTF-8 bytes: '" + nodeId + "'");
        }
        return id;
    }

    static byte[] probe(byte[] nodeId, long t0) {
        return ByteBuffer.allocate(PROBE_HEADER + nodeId.length).put(VERSION).put(PROBE).putLong(t0).put(nodeId).array();
    }

    static byte[] reply(byte[] nodeId, long t0, long t1, long t2) {
        return ByteBuffer.allocate(REPLY_HEADER + nodeId.length).put(VERSION).put(REPLY)
                .putLong(t0).putLong(t1).putLong(t2).put(nodeId).array();
    }

    static Probe decodeProbe(byte[] data) {
        ByteBuffer b = open(data, PROBE, PROBE_HEADER);
        return b == null ? null : new Probe(nodeId(b), b.getLong(2));
    }

    static Reply decodeReply(byte[] data) {
        ByteBuffer b = open(data, REPLY, REPLY_HEADER);
        return b == null ? null : new Reply(nodeId(b), b.getLong(2), b.getLong(10), b.getLong(18));
    }

    private static ByteBuffer open(byte[] data, byte type, int header) {
        if (data == null || data.length <= header || data.length > header + MAX_NODE_ID_BYTES
                || data[0] != VERSION || data[1] != type) {
            return null;
        }
        return ByteBuffer.wrap(data).position(header);
    }

    private static String nodeId(ByteBuffer b) {
        return new String(b.array(), b.position(), b.remaining(), StandardCharsets.UTF_8);
    }
}
