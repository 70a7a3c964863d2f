package io.backbeat.client;

import java.util.Map;

/**
 * A snapshot of a client's counters.
 *
 * @param framesReceived   payloads received on the beat subject
 * @param framesAccepted   frames that passed validation
 * @param dropped          dropped frames by reason (every reason present, zero when none)
 * @param phasesDispatched (beat, phase) pairs handed to listeners, from frames or derived
 * @param phasesDerived    of those, derived from the local grid
 * @param listenerErrors   exceptions thrown by listener callbacks
 * @param skippedBusy      phases a listener did not get because it was busy ({@link BusyPolicy})
 * @param degraded         whether the client is degraded now
 * @param degradations     times the client became degraded
 * @param recoveries       times it recovered
 * @param lastCorrectionNanos how far the local grid was from the leader's at the last recovery
 * @param lastFrameLagNanos   arrival of the last frame minus its grid phase start (delivery latency + clock offset)
 * @param term             highest accepted term
 * @param leaderId         leader of that term
 * @param tempoBpm         tempo of the last phase dispatched
 * @param callbacksRun     phase callbacks run, across listeners
 * @param callbacksPastDeadline phase callbacks that were still running when their phase ended
 * @param callbackNanosTotal    total time spent in phase callbacks, nanoseconds
 * @param callbackNanosMax      longest phase callback so far, nanoseconds
 * @param tasksCounted     tasks counted by listeners through {@link BeatContext#countTasks}
 * @param tempoAnnouncements pending tempo changes learned from frames ({@code next_tempo_*}) before they applied
 * @param phasesMissed     phases that could not be delivered in time (after a silence or a stall of the
 *                         client), counted whatever the {@link MissedPhasePolicy}
 */
public record ClientStats(long framesReceived, long framesAccepted, Map<DropReason, Long> dropped,
                          long phasesDispatched, long phasesDerived, long listenerErrors, long skippedBusy,
                          boolean degraded, long degradations, long recoveries, long lastCorrectionNanos,
                          long lastFrameLagNanos, long term, String leaderId, double tempoBpm,
                          long callbacksRun, long callbacksPastDeadline, long callbackNanosTotal,
                          long callbackNanosMax, long tasksCounted, long tempoAnnouncements,
                          long phasesMissed) {

    /** Frames dropped for one reason. */
    public long dropped(DropReason reason) {
        return dropped.getOrDefault(reason, 0L);
    }

    /** All dropped frames. */
    public long droppedTotal() {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
}
