package io.backbeat.rhythm;

import java.util.Locale;

/**
 * What a service measured over recent beats.
 *
 * @param processingShare  beat processing time as a share of the phase (0.9 = 90% of the phase),
 *                         finite and &gt;= 0 (above 1 when the work overran the phase)
 * @param deadlineMissRate share of phases whose work missed the deadline, in [0, 1]
 * @param completionRate   share of phases completed on time, in [0, 1]
 * @param cpuUtilization   CPU busy share, in [0, 1]
 * @throws IllegalArgumentException naming the first value out of range, and the value
 */
public record TempoSample(double processingShare, double deadlineMissRate, double completionRate,
                          double cpuUtilization) {
    public TempoSample {
        if (!Double.isFinite(processingShare) || processingShare < 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "processingShare must be finite and >= 0, got %s", processingShare));
        }
        requireShare("deadlineMissRate", deadlineMissRate);
        requireShare("completionRate", completionRate);
        requireShare("cpuUtilization", cpuUtilization);
    }

    private static void requireShare(String name, double v) {
        if (!(v >= 0 && v <= 1)) { // also refuses NaN
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be in [0, 1], got %s", name, v));
        }
    }
}
