package io.backbeat.consensus;

import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The bytes of the replicated state, the same for every backend: what a backend stores (Ratis'
 * snapshots and replies, Atomix's value) and what {@code GET /backup} is not (that is JSON).
 */
public final class StateCodec {
    private StateCodec() {
    }

    public static byte[] encodeState(TimelineDescriptor d) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeBoolean(d != null);
            if (d != null) {
                TimelineCommand.writeDescriptor(out, d);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The whole replicated state: the descriptor as {@link #encodeState(TimelineDescriptor)} writes it,
     * then the tempo policy. {@link #decodeState} reads the descriptor of either form.
     */
    public static byte[] encodeFullState(TimelineStateMachine.State st) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(encodeState(st.descriptor()));
            out.writeBoolean(st.policy() != null);
            if (st.policy() != null) {
                out.writeDouble(st.policy().minBpm());
                out.writeDouble(st.policy().maxBpm());
                out.writeDouble(st.policy().maxChangeRatio());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@link #encodeFullState} (a descriptor-only form gives no policy). */
    public static TimelineStateMachine.State decodeFullState(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            TimelineDescriptor d = in.readBoolean() ? TimelineCommand.readDescriptor(in) : null;
            TempoPolicy policy = in.available() > 0 && in.readBoolean()
                    ? new TempoPolicy(in.readDouble(), in.readDouble(), in.readDouble()) : null;
            return new TimelineStateMachine.State(d, policy);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable timeline state", e);
        }
    }

    public static TimelineDescriptor decodeState(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            return in.readBoolean() ? TimelineCommand.readDescriptor(in) : null;
        } catch (IOException e) {
            throw new IllegalStateException("unreadable timeline state", e);
        }
    }
}
