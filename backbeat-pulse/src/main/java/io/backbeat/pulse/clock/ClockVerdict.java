package io.backbeat.pulse.clock;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Whether this node's clock may drive the beat, as judged from its measured offsets to its peers.
 *
 * @param status        the judgement
 * @param offsetNanos   this node's clock minus the cluster's, nanoseconds (positive = this node is ahead):
 *                      against the majority that agrees with it when {@link Status#TRUSTED}, against the
 *                      majority that disagrees when {@link Status#SKEWED}, and the median of every fresh
 *                      peer's view (the middle value nearer zero on an even split) otherwise; empty when no
 *                      peer is fresh
 * @param peersMeasured fresh peers
 * @param peersAgreeing fresh peers whose clock is within the bound of this node's
 * @param detail        a sentence for logs and {@code /health}: how the verdict was reached
 */
public record ClockVerdict(Status status, OptionalLong offsetNanos, int peersMeasured, int peersAgreeing,
                           String detail) {
    /** The judgements. */
    public enum Status {
        /** No peer measured yet (or every peer silent): a member of a multi-node cluster holds its beat. */
        UNMEASURED,
        /** A majority of the cluster (this node included) agrees with this clock within the bound. */
        TRUSTED,
        /** A majority of the cluster agrees on a time further than the bound from this clock. */
        SKEWED,
        /**
         * No majority either way (an even split: one of two reachable clocks is wrong and neither can
         * tell which), and no earlier majority view still matches the offsets seen now.
         */
        UNDECIDED
    }

    public ClockVerdict {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(offsetNanos, "offsetNanos");
        Objects.requireNonNull(detail, "detail");
    }

    /** True only when this clock may drive the beat. */
    public boolean trusted() {
        return status == Status.TRUSTED;
    }
}
