package io.backbeat.consensus;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A change to the replicated timeline state. Commands are applied in log order by
 * {@link TimelineStateMachine#apply}, a pure function, so every replica holds the same descriptor.
 * Anything that depends on a clock is decided by the proposer and carried in the command.
 */
public sealed interface TimelineCommand {

    /**
     * Sets the first descriptor and the cluster's tempo policy (replicated, so every node applies the
     * same bounds whatever its flags); ignored when the state already holds one (the grid never
     * restarts). {@code policy} is null only in logs written before policies were replicated.
     */
    record Initialize(TimelineDescriptor descriptor, TempoPolicy policy) implements TimelineCommand {
        /** Without a replicated policy. */
        public Initialize(TimelineDescriptor descriptor) {
            this(descriptor, null);
        }
    }

    /** Records that {@code leaderId} leads in {@code term}; ignored when {@code term} is lower than the stored one. */
    record AssumeLeadership(long term, String leaderId) implements TimelineCommand {
    }

    /**
     * Replaces the pending tempo change. {@code decidedAtNanos} (the proposer's clock) first folds an
     * already-due pending change into the anchor.
     */
    record SetPendingTempo(PendingTempo pending, long decidedAtNanos) implements TimelineCommand {
    }

    /** Compact binary form for a consensus log. */
    default byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (this instanceof Initialize i && i.policy() != null) {
                out.writeByte(4);
                writeDescriptor(out, i.descriptor());
                out.writeDouble(i.policy().minBpm());
                out.writeDouble(i.policy().maxBpm());
                out.writeDouble(i.policy().maxChangeRatio());
            } else if (this instanceof Initialize i) {
                out.writeByte(1);
                writeDescriptor(out, i.descriptor());
            } else if (this instanceof AssumeLeadership a) {
                out.writeByte(2);
                out.writeLong(a.term());
                out.writeUTF(a.leaderId());
            } else if (this instanceof SetPendingTempo s) {
                out.writeByte(3);
                out.writeDouble(s.pending().tempoBpm());
                out.writeLong(s.pending().atBeatIndex());
                out.writeLong(s.decidedAtNanos());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #encode()}'s form. */
    static TimelineCommand decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int tag = in.readByte();
            return switch (tag) {
                case 1 -> new Initialize(readDescriptor(in));
                case 2 -> new AssumeLeadership(in.readLong(), in.readUTF());
                case 3 -> new SetPendingTempo(new PendingTempo(in.readDouble(), in.readLong()), in.readLong());
                case 4 -> new Initialize(readDescriptor(in), new TempoPolicy(in.readDouble(), in.readDouble(),
                        in.readDouble()));
                default -> throw new IllegalArgumentException("unknown timeline command tag " + tag);
            };
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed timeline command: " + e.getMessage(), e);
        }
    }

    /** Writes a descriptor (also used for snapshots). */
    static void writeDescriptor(DataOutputStream out, TimelineDescriptor d) throws IOException {
        out.writeUTF(d.clusterId());
        out.writeLong(d.anchorTimeNanos());
        out.writeLong(d.anchorBeatIndex());
        out.writeDouble(d.tempoBpm());
        out.writeInt(d.beatsPerBar());
        out.writeInt(d.phases().size());
        for (String p : d.phases()) {
            out.writeUTF(p);
        }
        out.writeLong(d.term());
        out.writeUTF(d.leaderId());
        out.writeBoolean(d.pending() != null);
        if (d.pending() != null) {
            out.writeDouble(d.pending().tempoBpm());
            out.writeLong(d.pending().atBeatIndex());
        }
    }

    /** Reads {@link #writeDescriptor}'s form. */
    static TimelineDescriptor readDescriptor(DataInputStream in) throws IOException {
        String cluster = in.readUTF();
        long anchorTime = in.readLong();
        long anchorBeat = in.readLong();
        double bpm = in.readDouble();
        int bar = in.readInt();
        int n = in.readInt();
        if (n < 1 || n > 1024) {
            throw new IOException("bad phase count " + n);
        }
        List<String> phases = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            phases.add(in.readUTF());
        }
        long term = in.readLong();
        String leader = in.readUTF();
        PendingTempo pending = in.readBoolean() ? new PendingTempo(in.readDouble(), in.readLong()) : null;
        return new TimelineDescriptor(cluster, anchorTime, anchorBeat, bpm, bar, phases, term, leader, pending);
    }
}
