package io.backbeat.pulse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator files under {@code deploy/} (Prometheus rules, Grafana dashboard) and the metric
 * names they may use: the pulse's Prometheus exposition names.
 */
final class OpsFiles {
    static final Path ROOT = repoRoot();
    static final Path RULES = ROOT.resolve("deploy/prometheus/backbeat-alerts.yml");
    static final Path RULE_TESTS = ROOT.resolve("deploy/prometheus/backbeat-alerts.test.yml");
    static final Path PROMETHEUS_CONFIG = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/backbeat-dashboard.json");
    static final Path ALERT_DOCS = ROOT.resolve("docs/alerts.md");

    /** Histograms (and Micrometer timers): exposed as {@code _bucket}, {@code _count}, {@code _sum}, {@code _max}. */
    static final Set<String> HISTOGRAMS = Set.of(
            "backbeat_beat_delivery_latency_seconds",
            "backbeat_pulse_jitter_seconds",
            "backbeat_beat_publish_duration_seconds",
            "jvm_gc_pause_seconds");

    /** Every name a rule or panel may use (besides Prometheus' own {@code up}), histograms by base name. */
    static final Set<String> KNOWN = Set.copyOf(new TreeSet<>(List.of(
            // gauges
            "backbeat_is_leader", "backbeat_term", "backbeat_ready", "backbeat_degraded",
            "backbeat_degraded_seconds", "backbeat_nats_connected", "backbeat_last_frame_timestamp_seconds",
            "backbeat_tempo_bpm", "backbeat_clock_offset_seconds", "backbeat_clock_trusted",
            "backbeat_clock_rate_ppm", "backbeat_timer_drift_ratio", "backbeat_cluster_size",
            // counters
            "backbeat_beats_total", "backbeat_frames_skipped_total", "backbeat_frames_fenced_total",
            "backbeat_frames_superseded_total", "backbeat_frames_ignored_total",
            "backbeat_leadership_changes_total", "backbeat_nats_reconnects_total",
            "backbeat_tempo_change_errors_total", "backbeat_consensus_commands_rejected_total",
            "backbeat_status_claims_total", "backbeat_status_claims_dropped_total",
            "backbeat_status_claims_malformed_total",
            // histograms
            "backbeat_beat_delivery_latency_seconds", "backbeat_pulse_jitter_seconds",
            "backbeat_beat_publish_duration_seconds",
            // JVM and process (Micrometer binders)
            "jvm_memory_used_bytes", "jvm_gc_pause_seconds", "jvm_threads_live_threads", "process_cpu_usage",
            "process_uptime_seconds")));

    private static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_:])((?:backbeat|jvm|process)_[a-z_]+)");
    private static final Pattern EXPR_LINE = Pattern.compile("^(\\s*)(?:-\\s+)?expr:\\s*(.*)$");

    private OpsFiles() {
    }

    private static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = p; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("deploy"))) {
                return d;
            }
        }
        throw new IllegalStateException("no directory with deploy/ above " + p);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code expr} of every rule in the rules file (one-line or {@code |} / {@code >} block scalars). */
    static List<String> ruleExpressions() {
        List<String> lines = List.of(read(RULES).split("\n", -1));
        List<String> exprs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = EXPR_LINE.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String v = m.group(2).trim();
            if (v.startsWith("|") || v.startsWith(">")) {
                int indent = m.group(1).length();
                StringBuilder b = new StringBuilder();
                while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
                        || leading(lines.get(i + 1)) > indent)) {
                    b.append(lines.get(++i).trim()).append('\n');
                }
                exprs.add(b.toString().trim());
            } else {
                exprs.add(v.replaceAll("^['\"]|['\"]$", ""));
            }
        }
        return exprs;
    }

    private static int leading(String s) {
        int n = 0;
        while (n < s.length() && s.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every query of the dashboard: the panels' {@code expr} and the template variables' queries. */
    static List<String> dashboardExpressions() {
        List<String> out = new ArrayList<>();
        collect(dashboard(), out);
        return out;
    }

    private static void collect(JsonNode n, List<String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if ((e.getKey().equals("expr") || e.getKey().equals("query") || e.getKey().equals("definition"))
                        && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), out);
                }
            }
        } else if (n.isArray()) {
            n.forEach(c -> collect(c, out));
        }
    }

    /** The metric names (as exposed, e.g. {@code ..._bucket}) that these expressions use. */
    static Set<String> namesIn(List<String> exprs) {
        Set<String> names = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = NAME.matcher(e);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** A histogram series name to its base name; any other name unchanged. */
    static String base(String name) {
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
            if (name.endsWith(suffix) && HISTOGRAMS.contains(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    /** The names the rules and the dashboard use, exactly as they must appear in a scrape. */
    static Set<String> usedNames() {
        Set<String> all = new TreeSet<>(namesIn(ruleExpressions()));
        all.addAll(namesIn(dashboardExpressions()));
        return all;
    }
}
