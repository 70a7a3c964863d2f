package io.backbeat.bench;

import io.backbeat.pulse.fault.FakeClockFile;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Node c1's wall clock is off and the leader is SIGKILLed (and restarted) again and again, so leadership
 * moves between the bad clock and true ones. {@code skew}: c1 runs 2 s ahead; {@code rate}: c1's clock runs
 * 1 % fast from each start of the process ({@link FakeClockFile}), so it passes the pulse's 100 ms bound
 * after about 10 s. The report says who led, whether c1 published, c1's measured {@code clock_offset_seconds}
 * on {@code /drift} over time (sampled every second) next to the offset applied, and when c1 reported an
 * offset within the 100 ms bound although its clock was beyond it.
 */
final class ClockFault extends ChaosScenario.Kill {
    static final String NODE = "c1";
    private static final long SAMPLE_MS = 1000;
    /** The pulse's default --max-clock-offset, seconds. */
    private static final double BOUND_S = 0.1;

    private final String skew;
    private final double rate;
    private FakeClockFile clock;
    private Thread sampler;
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());

    private ClockFault(String name, String skew, double rate) {
        super(name);
        this.skew = skew;
        this.rate = rate;
    }

    static ClockFault skew() {
        return new ClockFault("skew", "+2s", 1);
    }

    static ClockFault rate() {
        return new ClockFault("rate", null, 1.01);
    }

    /** One look at c1's {@code /drift}: seconds since launch, its measured offset (null: none), the one applied. */
    private record Sample(long second, Double measured, boolean down, double applied) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%ds %s/%+.3f", second, down ? "down" : measured == null ? "null"
                    : String.format(Locale.ROOT, "%+.3f", measured), applied);
        }
    }

    @Override
    void configure(PulseProcessCluster.Builder b, ChaosRig rig) {
        if (skew != null) {
            b.env(NODE, PulseProcessCluster.fakeTime(skew));
        } else {
            clock = new FakeClockFile(rig.dir().resolve(NODE + ".faketime"), rate);
            b.env(NODE, clock.env());
        }
        double skewSeconds = skew == null ? 0 : Double.parseDouble(skew.replace("s", ""));
        long t0 = System.nanoTime();
        sampler = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(SAMPLE_MS);
                    PulseProcessCluster c = rig.cluster();
                    boolean down = c == null || !c.isAlive(NODE);
                    Object m = down ? null : rig.adminField(NODE, "/drift", "clock_offset_seconds");
                    samples.add(new Sample((System.nanoTime() - t0) / 1_000_000_000L,
                            m instanceof Number n ? n.doubleValue() : null, down,
                            clock != null ? clock.offsetSeconds() : skewSeconds));
                }
            } catch (InterruptedException e) {
                // closed
            }
        }, "chaos-drift-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * The stretches in which c1 reported an offset within the bound while the offset applied to it was
     * beyond it (by more than 20 ms): while they last, its clock does not keep it from leading.
     */
    private static String unfenced(List<Sample> samples) {
        List<String> out = new ArrayList<>();
        long from = -1;
        long last = -1;
        for (Sample s : samples) {
            boolean hidden = s.measured() != null && Math.abs(s.measured()) <= BOUND_S && s.applied() > BOUND_S + 0.02;
            if (hidden && from < 0) {
                from = s.second();
            }
            if (!hidden && from >= 0) {
                out.add(from == last ? from + "s" : from + "-" + last + "s");
                from = -1;
            }
            last = s.second();
        }
        if (from >= 0) {
            out.add(from == last ? from + "s" : from + "-" + last + "s");
        }
        return out.isEmpty() ? "never" : String.join(", ", out);
    }

    @Override
    java.util.Set<String> unreadyByDesign() {
        return java.util.Set.of(NODE);
    }

    @Override
    void beforeRestart(String id) {
        if (clock != null && id.equals(NODE)) {
            clock.restart();
        }
    }

    @Override
    List<String> report(ChaosRig rig) {
        String label = skew != null ? " (" + skew + ")" : " (x" + rate + ")";
        Map<String, List<Long>> lead = new LinkedHashMap<>();
        for (Observer.Arrival a : rig.observer().arrivals()) {
            lead.computeIfAbsent(a.frame().leaderId(), k -> new ArrayList<>())
                    .add(a.frame().deadlineEpochNanos() - a.epochNanos());
        }
        StringBuilder sb = new StringBuilder();
        lead.forEach((id, l) -> {
            Collections.sort(l);
            sb.append(String.format(Locale.ROOT, " %s%s: %d frames, deadline - arrival p50 %.0f ms, min %.0f, max "
                            + "%.0f ms;", id, id.equals(NODE) ? label : "", l.size(), l.get(l.size() / 2) / 1e6,
                    l.get(0) / 1e6, l.get(l.size() - 1) / 1e6));
        });
        if (!lead.containsKey(NODE)) {
            sb.append(" ").append(NODE).append(label).append(": no frame published;");
        }
        PulseProcessCluster.Leadership led = rig.cluster().leadership(NODE);
        List<String> out = new ArrayList<>();
        out.add("chaos " + name() + ": leaders" + sb + " " + NODE + " logged 'leads in term' " + led.terms() + " time(s), "
                + led.termsWhileWithdrawn() + " of them while withdrawn from elections (withdrew " + led.withdrawals()
                + " time(s))");
        out.add("chaos " + name() + ": " + NODE + " /ready " + rig.adminLine(NODE, "/ready"));
        out.add("chaos " + name() + ": " + NODE + " /drift " + rig.adminLine(NODE, "/drift"));
        List<Sample> all;
        synchronized (samples) {
            all = List.copyOf(samples);
        }
        StringBuilder series = new StringBuilder();
        for (int i = 4; i < all.size(); i += 5) {
            series.append(series.length() == 0 ? "" : ", ").append(all.get(i));
        }
        out.add("chaos " + name() + ": " + NODE + " clock_offset_seconds measured/applied (s from launch, every 5 s): "
                + series);
        out.add("chaos " + name() + ": " + NODE + " reported an offset within " + (int) (BOUND_S * 1000)
                + " ms while over it (1 s samples, " + all.size() + " taken): " + unfenced(all));
        return out;
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.interrupt();
        }
        if (clock != null) {
            clock.close();
        }
    }
}
