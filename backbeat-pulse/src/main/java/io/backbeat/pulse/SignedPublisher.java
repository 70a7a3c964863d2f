package io.backbeat.pulse;

import io.backbeat.pulse.sign.FrameSigner;
import io.nats.client.Connection;

/**
 * What this node publishes on NATS (frames, timeline replies), signed with the cluster's key once a
 * {@link FrameSigner} is set (PROTOCOL.md "Signed messages"). Timeline replies go through jnats;
 * frames through a {@link BeatEmitter.Sink} on the {@link FrameConnection}, written on the emitter's
 * thread.
 */
final class SignedPublisher {
    private final Connection nats;
    private final FrameConnection frames;
    private volatile FrameSigner signer;

    SignedPublisher(Connection nats, FrameConnection frames) {
        this.nats = nats;
        this.frames = frames;
    }

    void signWith(FrameSigner signer) {
        this.signer = signer;
    }

    /** Publishes {@code payload}, signed when a signer is set. */
    void send(String subject, byte[] payload) {
        FrameSigner s = signer;
        if (s == null) {
            nats.publish(subject, payload);
        } else {
            nats.publish(subject, s.headers(payload), payload);
        }
    }

    /** The emitter's sink for frames on {@code subject}. */
    BeatEmitter.Sink sink(String subject) {
        return new NatsSink(subject);
    }

    /**
     * Frames go straight to the socket, on the caller's thread: when a publish returns the frame is in
     * the kernel, so a process frozen right after its last lease check cannot send it late; no
     * reconnect buffer either.
     */
    private final class NatsSink implements BeatEmitter.Sink {
        private final String subject;

        NatsSink(String subject) {
            this.subject = subject;
        }

        @Override
        public boolean connected() {
            return frames.connected();
        }

        @Override
        public String status() {
            return frames.status();
        }

        @Override
        public Object prepare(byte[] frame) {
            FrameSigner s = signer; // signing ~67 us: done before the spin, not at the instant
            return FrameConnection.wire(subject, s == null ? null : s.headers(frame), frame);
        }

        @Override
        public void publish(byte[] frame) {
            frames.write((byte[]) prepare(frame));
        }

        @Override
        public void publish(byte[] frame, Object prepared) {
            if (prepared instanceof byte[] wire) {
                frames.write(wire);
            } else {
                publish(frame);
            }
        }
    }
}
