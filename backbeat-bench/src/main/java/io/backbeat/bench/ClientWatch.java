package io.backbeat.bench;

import io.backbeat.client.BeatClient;
import io.backbeat.client.ClientStats;
import io.backbeat.testkit.client.RecordingListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A real {@link BeatClient} following a cluster for a whole harness run, with a {@link RecordingListener},
 * and what it saw: phases delivered (and how many were derived locally), any (beat, phase) delivered twice,
 * out of order or skipped, frames dropped by reason, degraded/recovered notices. Used by the soak and chaos
 * harnesses.
 */
final class ClientWatch implements AutoCloseable {
    /** The grace the harnesses give the client: a phase is derived locally 30 ms after it should have started. */
    static final Duration GRACE = Duration.ofMillis(30);

    private final BeatClient client;
    private final RecordingListener rec = new RecordingListener();
    private final int phasesPerBeat;

    private ClientWatch(BeatClient client, int phasesPerBeat) {
        this.client = client;
        this.phasesPerBeat = phasesPerBeat;
        client.addListener(rec);
    }

    /** Connects a client of {@code cluster} to {@code natsUrls} (all of them, for failover). */
    static ClientWatch connect(String cluster, int phasesPerBeat, String... natsUrls) {
        return new ClientWatch(BeatClient.builder(cluster).natsServers(natsUrls).grace(GRACE).build(), phasesPerBeat);
    }

    /** Phases delivered so far. */
    int phases() {
        return rec.phases().size();
    }

    /** Of the phases delivered after the first {@code from}, how many were derived locally. */
    long derivedSince(int from) {
        List<RecordingListener.Seen> s = rec.phases();
        return s.subList(Math.min(from, s.size()), s.size()).stream().filter(RecordingListener.Seen::degraded).count();
    }

    /** What the promise "each (beat, phase) once, in order, none skipped" counts. */
    record Sequence(int twice, int outOfOrder, long skipped, List<String> problems) {
    }

    /** Checks the delivered sequence: twice, out of order (below the highest so far), phases skipped. */
    Sequence sequence() {
        Set<Long> seen = new HashSet<>();
        long highest = Long.MIN_VALUE;
        RecordingListener.Seen highestAt = null;
        int twice = 0;
        int backwards = 0;
        long skipped = 0;
        List<String> problems = new ArrayList<>();
        for (RecordingListener.Seen s : rec.phases()) {
            long k = s.beatIndex() * phasesPerBeat + s.phaseIndex();
            if (!seen.add(k)) {
                twice++;
                problems.add("twice: " + describe(s) + " (after " + describe(highestAt) + ")");
            } else if (k < highest) {
                backwards++;
                problems.add("out of order: " + describe(s) + " after " + describe(highestAt));
            } else if (highestAt != null && k > highest + 1) {
                skipped += k - highest - 1;
                problems.add("skipped " + (k - highest - 1) + " phase(s) between " + describe(highestAt) + " and "
                        + describe(s));
            }
            if (k > highest) {
                highest = k;
                highestAt = s;
            }
        }
        return new Sequence(twice, backwards, skipped, problems);
    }

    private static String describe(RecordingListener.Seen s) {
        return s == null ? "-" : String.format(Locale.ROOT, "beat %d %s term %d%s", s.beatIndex(), s.phase(), s.term(),
                s.degraded() ? " (derived)" : "");
    }

    /**
     * One line: {@code N phases (M derived locally), twice A, out of order B, skipped C; frames received R,
     * dropped {reason n, ...}; degraded D, recovered E} (the client's counters; the listener's onDegraded and
     * onRecovered counts follow when they differ).
     */
    String summary() {
        List<RecordingListener.Seen> phases = rec.phases();
        long derived = phases.stream().filter(RecordingListener.Seen::degraded).count();
        Sequence seq = sequence();
        ClientStats st = client.stats();
        StringJoiner drops = new StringJoiner(", ");
        st.dropped().forEach((reason, n) -> {
            if (n > 0) {
                drops.add(reason + " " + n);
            }
        });
        long degraded = rec.notices().stream().filter("degraded"::equals).count();
        long recovered = rec.notices().stream().filter("recovered"::equals).count();
        // the listener is added once build() has returned: a degradation before that reaches only the counters
        String notices = degraded == st.degradations() && recovered == st.recoveries() ? ""
                : String.format(Locale.ROOT, " (onDegraded %d, onRecovered %d)", degraded, recovered);
        return String.format(Locale.ROOT, "%d phases (%d derived locally), twice %d, out of order %d, skipped %d; "
                        + "frames received %d, dropped %s; degraded %d, recovered %d%s", phases.size(), derived,
                seq.twice(), seq.outOfOrder(), seq.skipped(), st.framesReceived(),
                drops.length() == 0 ? "none" : drops.toString(), st.degradations(), st.recoveries(), notices);
    }

    @Override
    public void close() {
        client.close();
    }
}
