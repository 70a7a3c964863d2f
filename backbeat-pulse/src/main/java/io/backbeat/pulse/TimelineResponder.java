package io.backbeat.pulse;

import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.consensus.Consensus;

import java.util.function.BiConsumer;

/**
 * Answers {@code backbeat.{cluster}.timeline} requests with the replicated descriptor as this node
 * has applied it: every node answers, leader or not, so a client learns the grid without a leader.
 */
final class TimelineResponder {
    private final Consensus consensus;
    private final BiConsumer<String, byte[]> reply;

    TimelineResponder(Consensus consensus, BiConsumer<String, byte[]> reply) {
        this.consensus = consensus;
        this.reply = reply;
    }

    /** Answers a request whose reply subject is {@code replyTo}; nothing before the first descriptor. */
    void answer(String replyTo) {
        TimelineDescriptor d = consensus.committedTimeline();
        if (replyTo != null && d != null) {
            reply.accept(replyTo, BackbeatCodec.encodeDescriptor(d));
        }
    }
}
