/**
 * Rhythm tools on the beat grid, needing only {@code backbeat-api}: tempo advice
 * ({@link io.backbeat.rhythm.TempoAdvisor}), alerts ({@link io.backbeat.rhythm.TempoAlerts}) and the
 * adaptive tempo controller ({@link io.backbeat.rhythm.AdaptiveTempoController}, which can ask the
 * pulse's admin API for a change over HTTP), slotted competing consumers
 * ({@link io.backbeat.rhythm.SlotScheduler}, {@link io.backbeat.rhythm.HashSlot}) and a work-driven
 * heartbeat ({@link io.backbeat.rhythm.AdaptivePoller}). Everything except the controller's HTTP
 * request takes time as an argument and starts no thread.
 */
package io.backbeat.rhythm;
