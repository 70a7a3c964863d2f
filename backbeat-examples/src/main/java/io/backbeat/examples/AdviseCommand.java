package io.backbeat.examples;

import io.backbeat.rhythm.TempoAdvice;
import io.backbeat.rhythm.TempoAdvisor;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code advise --task 5s [--recovery 5s] [--interval 2m] [--phases 3] [--cpu-per-beat 2 --cores 4]
 * [--memory 8000 --memory-per-beat 1000] [--iops 100 --io-per-beat 600]}: the tempo guide's rules,
 * printed as {@code recommended_bpm=}, {@code binding_rule=}, one {@code limit.<rule>=} per rule and
 * the explanation.
 */
public final class AdviseCommand {
    private AdviseCommand() {
    }

    public static int run(String[] args, PrintStream out) {
        Args a = new Args(args, Set.of("task", "recovery", "interval", "phases", "cpu-per-beat", "cores", "memory",
                "memory-per-beat", "iops", "io-per-beat"));
        TempoAdvisor.Builder b = TempoAdvisor.builder();
        try {
            if (a.get("task", null) != null) {
                b.task(a.duration("task", null));
            }
            if (a.get("recovery", null) != null) {
                b.recovery(a.duration("recovery", null));
            }
            if (a.get("interval", null) != null) {
                b.coordinationInterval(a.duration("interval", null));
            }
            b.phases(a.intValue("phases", 3));
            if (a.get("cpu-per-beat", null) != null) {
                b.cpuSecondsPerBeat(number(a, "cpu-per-beat"), a.get("cores", null) == null ? 1 : number(a, "cores"));
            }
            if (a.get("memory", null) != null || a.get("memory-per-beat", null) != null) {
                b.memory(number(a, "memory"), number(a, "memory-per-beat"));
            }
            if (a.get("iops", null) != null || a.get("io-per-beat", null) != null) {
                b.io(number(a, "iops"), number(a, "io-per-beat"));
            }
        } catch (IllegalArgumentException e) {
            throw new Args.BadArgs(e.getMessage());
        }
        TempoAdvice advice;
        try {
            advice = b.build().advise();
        } catch (IllegalStateException e) {
            throw new Args.BadArgs("give --task, --interval or a capacity (--cpu-per-beat, --memory, --iops)");
        }
        out.printf(Locale.ROOT, "recommended_bpm=%.4f%n", advice.recommendedBpm());
        out.println("binding_rule=" + advice.bindingRule());
        for (Map.Entry<String, Double> e : advice.limits().entrySet()) {
            out.printf(Locale.ROOT, "limit.%s=%.4f%n", e.getKey(), e.getValue());
        }
        out.println("explanation=" + advice.explanation());
        return 0;
    }

    private static double number(Args a, String flag) {
        String v = a.get(flag, null);
        if (v == null) {
            throw new Args.BadArgs("--" + flag + " is required here");
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new Args.BadArgs("--" + flag + ": '" + v + "' is not a number");
        }
    }
}
