package io.backbeat.pulse.clock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary clock probe and reply (big-endian, instants in epoch nanoseconds):
 *
 * <pre>
 * probe: version(1)=1 type(1)='P' t0(8)                 nodeId(UTF-8, 1-255 bytes)
 * reply: version(1)=1 type(1)='R' t0(8) t1(8) t2(8)     nodeId(UTF-8, 1-255 bytes)
 * reply: version(1)=1 type(1)='S' t0(8) t1(8) t2(8) logTerm(8) logIndex(8) nodeId(UTF-8, 1-255 bytes)
 * </pre>
 *
 * The reply echoes the probe's {@code t0}; {@code t1}, {@code t2} and the node id are the
 * responder's. An 'S' reply also carries the term and index of the responder's last consensus log
 * entry, so a node can tell whether a peer that is alive could be elected without its vote; an 'R'
 * reply (a backend that does not tell its log) decodes with no log position.
 * Decoders return {@code null} for anything else.
 */
final class ClockWire {
    static final byte VERSION = 1;
    static final byte PROBE = 'P';
    static final byte REPLY = 'R';
    static final byte REPLY_WITH_LOG = 'S';
    static final int MAX_NODE_ID_BYTES = 255;
    private static final int PROBE_HEADER = 2 + 8;
    private static final int REPLY_HEADER = 2 + 3 * 8;
    private static final int REPLY_WITH_LOG_HEADER = 2 + 5 * 8;

    record Probe(String nodeId, long t0) {
    }

    /** A reply; {@code log} is the responder's last consensus log entry, {@code null} when it told none. */
    record Reply(String nodeId, long t0, long t1, long t2, io.backbeat.consensus.LogPosition log) {
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

    static byte[] reply(byte[] nodeId, long t0, long t1, long t2, io.backbeat.consensus.LogPosition log) {
        return ByteBuffer.allocate(REPLY_WITH_LOG_HEADER + nodeId.length).put(VERSION).put(REPLY_WITH_LOG)
                .putLong(t0).putLong(t1).putLong(t2).putLong(log.term()).putLong(log.index()).put(nodeId).array();
    }

    static Probe decodeProbe(byte[] data) {
        ByteBuffer b = open(data, PROBE, PROBE_HEADER);
        return b == null ? null : new Probe(nodeId(b), b.getLong(2));
    }

    static Reply decodeReply(byte[] data) {
        if (data != null && data.length > 1 && data[1] == REPLY_WITH_LOG) {
            ByteBuffer b = open(data, REPLY_WITH_LOG, REPLY_WITH_LOG_HEADER);
            if (b == null || b.getLong(26) < 0 || b.getLong(34) < 0) {
                return null;
            }
            return new Reply(nodeId(b), b.getLong(2), b.getLong(10), b.getLong(18),
                    new io.backbeat.consensus.LogPosition(b.getLong(26), b.getLong(34)));
        }
        ByteBuffer b = open(data, REPLY, REPLY_HEADER);
        return b == null ? null : new Reply(nodeId(b), b.getLong(2), b.getLong(10), b.getLong(18), null);
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
