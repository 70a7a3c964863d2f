package io.backbeat.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Receives the beat. Every method has an empty default: implement what you need.
 *
 * <p>Threading: callbacks never run on the transport's thread. One listener's callbacks run one at
 * a time, in grid order, each (beat, phase) at most once; different listeners run concurrently and
 * a slow or throwing listener never delays another. An exception thrown here is logged and counted
 * ({@link ClientStats#listenerErrors()}) and the listener keeps receiving. When a listener is still
 * busy as its next phase starts, the client's {@link BusyPolicy} decides.
 */
public interface BeatListener {

    /**
     * A phase started. The default calls {@link #onPlan}, {@link #onExecute} (for {@code execute}
     * and {@code work}) or {@link #onReview}; override it for custom phase names.
     */
    default void onPhase(BeatContext ctx) {
        switch (ctx.phase()) {
            case "plan" -> onPlan(ctx);
            case "execute", "work" -> onExecute(ctx);
            case "review" -> onReview(ctx);
            default -> {
            }
        }
    }

    /** The {@code plan} phase started. */
    default void onPlan(BeatContext ctx) {
    }

    /** The {@code execute} (or {@code work}) phase started. */
    default void onExecute(BeatContext ctx) {
    }

    /** The {@code review} phase started. */
    default void onReview(BeatContext ctx) {
    }

    /** A bar started; called just before {@link #onPhase} of the downbeat's first phase. */
    default void onDownbeat(BeatContext ctx) {
    }

    /** The tempo changed (at a downbeat). */
    default void onTempoChange(double oldBpm, double newBpm) {
    }

    /** A new leader (or a new term) was seen. */
    default void onLeaderChange(String leaderId, long term) {
    }

    /** The pulse went silent; phases are now derived locally. */
    default void onDegraded(String reason) {
    }

    /** Frames are back; {@code correction} is how far the local grid was from the leader's. */
    default void onRecovered(Duration correction) {
    }

    /**
     * What this listener gets for phases the client could not deliver in time (read once, when the
     * listener is added; default {@link MissedPhasePolicy#DELIVER_LATE}).
     */
    default MissedPhasePolicy missedPhasePolicy() {
        return MissedPhasePolicy.DELIVER_LATE;
    }

    /** A listener that runs {@code action} for every phase: {@code client.addListener(BeatListener.onPhase(ctx -> ...))}. */
    static BeatListener onPhase(Consumer<? super BeatContext> action) {
        Objects.requireNonNull(action, "action");
        return new BeatListener() {
            @Override
            public void onPhase(BeatContext ctx) {
                action.accept(ctx);
            }
        };
    }
}
