package io.backbeat.pulse;

import io.backbeat.pulse.sign.FrameSigner;
import io.nats.client.Connection;

/**
 * What this node publishes on NATS (frames, timeline replies), signed with the cluster's key once a
 * {@link FrameSigner} is set (PROTOCOL.md "Signed messages"); frames through a {@link BeatEmitter.Sink}.
 */
final class SignedPublisher {
    private final Connection nats;
    private volatile FrameSigner signer;

    SignedPublisher(Connection nats) {
        this.nats = nats;
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

    /** Frames go straight to NATS: no reconnect buffer, so nothing is delivered late. */
    private final class NatsSink implements BeatEmitter.Sink {
        private final String subject;

        NatsSink(String subject) {
            this.subject = subject;
        }

        @Override
        public boolean connected() {
            return nats.getStatus() == Connection.Status.CONNECTED;
        }

        @Override
        public String status() {
            return String.valueOf(nats.getStatus());
        }

        @Override
        public Object prepare(byte[] frame) {
            FrameSigner s = signer;
            return s == null ? null : s.headers(frame); // ~67 us: done before the spin, not at the instant
        }

        @Override
        public void publish(byte[] frame) {
            send(subject, frame);
        }

        @Override
        public void publish(byte[] frame, Object prepared) {
            if (prepared instanceof io.nats.client.impl.Headers h) {
                nats.publish(subject, h, frame);
            } else {
                send(subject, frame);
            }
        }
    }
}
