package io.backbeat.rhythm;

/**
 * What a service measured over recent beats.
 *
 * @param processingShare  beat processing time as a share of the phase (0.9 = 90% of the phase)
 * @param deadlineMissRate share of phases whose work missed the deadline
 * @param completionRate   share of phases completed on time
 * @param cpuUtilization   CPU busy share, 0..1
 */
public record TempoSample(double processingShare, double deadlineMissRate, double completionRate,
                          double cpuUtilization) {
    public TempoSample {
        for (double v : new double[]{processingShare, deadlineMissRate, completionRate, cpuUtilization}) {
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("sample values must be finite and >= 0: " + this);
            }
        }
    }
}
