package io.backbeat.pulse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The operator files under {@code deploy/}: promtool accepts the alert rules and the Prometheus
 * configuration, the rules' unit tests pass (every alert both fires and stays quiet in them), the
 * Grafana dashboard is JSON, and rules and dashboard use only metric names the pulse exposes.
 * Needs {@code promtool} (Debian's {@code prometheus} package, installed by scripts/ensure-tools.sh).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrometheusRulesTest {
    private static final Pattern ALERT = Pattern.compile("^\\s*- alert:\\s*(\\S+)\\s*$", Pattern.MULTILINE);

    private record Result(int status, String output) {
    }

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        for (String p : List.of("/usr/bin/promtool", "/usr/local/bin/promtool")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return fail("promtool not found on PATH: run scripts/ensure-tools.sh (it installs Debian's 'prometheus' "
                + "package, which provides promtool)");
    }

    private static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(promtool()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(OpsFiles.ROOT.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes(); // until promtool closes its output, i.e. exits
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("%s did not finish within 30 s", cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.printf("$ %s%n%s", String.join(" ", cmd), text);
        return new Result(p.exitValue(), text);
    }

    private static List<String> alerts() {
        Matcher m = ALERT.matcher(OpsFiles.read(OpsFiles.RULES));
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        Result r = promtool("check", "rules", "deploy/prometheus/backbeat-alerts.yml");
        assertThat(r.status()).as("promtool check rules:%n%s", r.output()).isZero();
        assertThat(r.output()).contains(alerts().size() + " rules found");
    }

    @Test
    void theRulesUnitTestsPass() throws Exception {
        Result r = promtool("test", "rules", "deploy/prometheus/backbeat-alerts.test.yml");
        assertThat(r.status()).as("promtool test rules:%n%s", r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void promtoolAcceptsThePrometheusConfig() throws Exception {
        Result r = promtool("check", "config", "deploy/prometheus/prometheus.yml");
        assertThat(r.status()).as("promtool check config:%n%s", r.output()).isZero();
        String cfg = OpsFiles.read(OpsFiles.PROMETHEUS_CONFIG);
        assertThat(cfg).contains("pulse-1:8081", "pulse-2:8082", "pulse-3:8083", "metrics_path: /metrics",
                "scrape_interval: 5s", "backbeat-alerts.yml");
    }

    /** promtool passes a test file that never mentions a rule: each alert needs a firing and a quiet case. */
    @Test
    void everyAlertHasAFiringAndAQuietTestCase() {
        List<String> lines = List.of(OpsFiles.read(OpsFiles.RULE_TESTS).split("\n"));
        Map<String, Set<String>> cases = new LinkedHashMap<>();
        Pattern alertname = Pattern.compile("^\\s*alertname:\\s*(\\S+)\\s*$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = alertname.matcher(lines.get(i));
            if (m.matches()) {
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).trim().startsWith("exp_alerts:")) {
                    j++;
                }
                String exp = j < lines.size() ? lines.get(j).trim() : "";
                cases.computeIfAbsent(m.group(1), k -> new TreeSet<>())
                        .add(exp.matches("exp_alerts:\\s*\\[\\s*](\\s*#.*)?") ? "quiet" : "fires");
            }
        }
        assertThat(alerts()).isNotEmpty().doesNotHaveDuplicates();
        for (String a : alerts()) {
            assertThat(cases.get(a)).as("test cases of %s in %s", a, OpsFiles.RULE_TESTS)
                    .isNotNull().containsExactlyInAnyOrder("fires", "quiet");
        }
        assertThat(cases.keySet()).as("alert names tested").isSubsetOf(alerts());
    }

    @Test
    void everyAlertIsDocumentedWithItsSeverity() {
        String rules = OpsFiles.read(OpsFiles.RULES);
        String docs = OpsFiles.read(OpsFiles.ALERT_DOCS);
        assertThat(rules).doesNotContain("\t");
        for (String a : alerts()) {
            assertThat(docs).as("docs/alerts.md has a section for %s", a).contains("## " + a + "\n");
        }
        assertThat(rules).containsPattern("severity: (warning|critical|info)");
        assertThat(rules.lines().filter(l -> l.trim().startsWith("severity:"))
                .map(l -> l.trim().substring("severity:".length()).trim()))
                .isNotEmpty().allMatch(s -> Set.of("info", "warning", "critical").contains(s));
    }

    @Test
    void theDashboardIsGrafanaJsonOnThePrometheusDatasourceVariable() {
        JsonNode d = OpsFiles.dashboard();
        assertThat(d.path("schemaVersion").asInt()).isBetween(36, 39);
        assertThat(d.path("title").asText()).isNotBlank();
        assertThat(d.path("uid").asText()).isNotBlank();
        List<String> vars = new ArrayList<>();
        d.path("templating").path("list").forEach(v -> vars.add(v.path("name").asText()));
        assertThat(vars).contains("DS_PROMETHEUS", "cluster", "node");
        List<JsonNode> panels = new ArrayList<>();
        d.path("panels").forEach(p -> {
            if (!p.path("type").asText().equals("row")) {
                panels.add(p);
            }
        });
        assertThat(panels).hasSizeGreaterThanOrEqualTo(15);
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertThat(ids.add(p.path("id").asInt())).as("panel id of %s is unique", title).isTrue();
            assertThat(p.path("datasource").path("uid").asText()).as("datasource of %s", title)
                    .isEqualTo("${DS_PROMETHEUS}");
            assertThat(p.path("targets")).as("queries of %s", title).isNotEmpty();
            p.path("targets").forEach(t -> assertThat(t.path("expr").asText()).as("a query of %s", title).isNotBlank());
        }
        String all = String.join("\n", OpsFiles.dashboardExpressions());
        for (String wanted : List.of("backbeat_beats_total", "backbeat_is_leader", "backbeat_term",
                "backbeat_tempo_bpm", "backbeat_degraded", "backbeat_nats_connected", "backbeat_clock_offset_seconds",
                "backbeat_clock_trusted", "backbeat_timer_drift_ratio", "backbeat_pulse_jitter_seconds_bucket",
                "backbeat_leadership_changes_total", "backbeat_frames_fenced_total",
                "backbeat_frames_superseded_total", "backbeat_frames_skipped_total", "jvm_memory_used_bytes",
                "process_cpu_usage")) {
            assertThat(all).as("the dashboard charts %s", wanted).contains(wanted);
        }
        for (String q : List.of("0.5", "0.95", "0.99")) {
            assertThat(all).contains("histogram_quantile(" + q + ", sum by (le) (rate("
                    + "backbeat_beat_delivery_latency_seconds_bucket");
        }
    }

    @Test
    void rulesAndDashboardUseOnlyMetricsThePulseExposes() {
        Set<String> rules = OpsFiles.namesIn(OpsFiles.ruleExpressions());
        Set<String> dashboard = OpsFiles.namesIn(OpsFiles.dashboardExpressions());
        assertThat(OpsFiles.ruleExpressions()).hasSize(alerts().size());
        assertThat(rules).isNotEmpty();
        assertThat(dashboard).isNotEmpty();
        Set<String> unknown = new TreeSet<>();
        for (String n : OpsFiles.usedNames()) {
            if (!OpsFiles.KNOWN.contains(OpsFiles.base(n))) {
                unknown.add(n);
            }
        }
        assertThat(unknown).as("names in %s or %s that the pulse does not expose", OpsFiles.RULES,
                OpsFiles.DASHBOARD).isEmpty();
        // a histogram is only used through its series (_bucket, _count, _sum), never by its bare name
        assertThat(OpsFiles.usedNames()).doesNotContainAnyElementsOf(OpsFiles.HISTOGRAMS);
    }
}
