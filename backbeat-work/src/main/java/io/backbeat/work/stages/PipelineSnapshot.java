package io.backbeat.work.stages;

import java.util.List;
import java.util.Locale;

/**
 * Every stage's USE metrics and the likeliest bottleneck: the stage whose input queue waits
 * longest (saturation) among those that are busy (utilization ≥ 0.5), or failing that the busiest
 * stage. The reasoning says which numbers decided it.
 */
public record PipelineSnapshot(List<StageSnapshot> stages, String bottleneck, String reasoning) {

    public PipelineSnapshot {
        stages = List.copyOf(stages);
    }

    /** Computes the bottleneck from stage snapshots (pure). */
    public static PipelineSnapshot of(List<StageSnapshot> stages) {
        StageSnapshot best = null;
        for (StageSnapshot s : stages) {
            if (s.utilization() >= 0.5 && (best == null || s.meanWait().compareTo(best.meanWait()) > 0)) {
                best = s;
            }
        }
        String why;
        if (best != null) {
            why = String.format(Locale.ROOT, "%s (%s) is %.0f%% busy across %d worker(s) and items wait %.1f ms in its queue "
                            + "(%d/%d queued), the longest wait of any busy stage", best.name(), kindOf(best),
                    best.utilization() * 100, best.workers(), best.meanWait().toNanos() / 1e6, best.queueDepth(),
                    best.queueCapacity());
        } else {
            for (StageSnapshot s : stages) {
                if (best == null || s.utilization() > best.utilization()) {
                    best = s;
                }
            }
            why = best == null ? "no stages" : String.format(Locale.ROOT,
                    "no stage is saturated; %s is the busiest at %.0f%%", best.name(), best.utilization() * 100);
        }
        return new PipelineSnapshot(stages, best == null ? "" : best.name(), why);
    }

    /** A table, one line per stage, then the verdict. */
    public String render() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s %-4s %7s %9s %6s %11s %9s%n",
                "stage", "kind", "workers", "processed", "util", "queued", "wait_ms"));
        for (StageSnapshot s : stages) {
            sb.append(String.format(Locale.ROOT, "%-10s %-4s %7d %9d %5.0f%% %5d/%-5d %9.2f%n", s.name(), kindOf(s),
                    s.workers(), s.processed(), s.utilization() * 100, s.queueDepth(), s.queueCapacity(),
                    s.meanWait().toNanos() / 1e6));
        }
        sb.append("bottleneck=").append(bottleneck).append('\n').append("why=").append(reasoning).append('\n');
        return sb.toString();
    }

    private static String kindOf(StageSnapshot s) {
        return s.kind() == null ? "-" : s.kind().name();
    }
}
