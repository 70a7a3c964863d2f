package io.backbeat.rhythm;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The tempo guide's adaptive controller: a deadline miss rate above 2% slows the tempo down;
 * completion above 95% with CPU below 70% speeds it up; each step is {@code adjustmentRate} of the
 * current tempo, at most ±10%, clamped to {@code [minBpm, maxBpm]}.
 *
 * <p>{@link #advise} only advises. {@link #onDownbeat} also asks the pulse for the change — only when
 * the controller was built with {@link Builder#enableRequests} — with {@code POST /tempo} and the
 * bearer token if configured, at most once per bar. The pulse validates it again and may refuse.
 */
public final class AdaptiveTempoController {
    /** The controller's decision. */
    public record Decision(double currentBpm, double recommendedBpm, String reason) {
        public boolean changes() {
            return Double.compare(currentBpm, recommendedBpm) != 0;
        }
    }

    private final double rate;
    private final double minBpm;
    private final double maxBpm;
    private final URI adminTempo;
    private final String token;
    private final HttpClient http;
    private long lastRequestBar = Long.MIN_VALUE;

    private AdaptiveTempoController(Builder b) {
        this.rate = b.rate;
        this.minBpm = b.minBpm;
        this.maxBpm = b.maxBpm;
        this.adminTempo = b.adminTempo;
        this.token = b.token;
        this.http = b.adminTempo == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    public static Builder builder(double minBpm, double maxBpm) {
        return new Builder(minBpm, maxBpm);
    }

    /** The advice for a sample (pure). */
    public Decision advise(double currentBpm, TempoSample s) {
        double target = currentBpm;
        String why;
        if (s.deadlineMissRate() > 0.02) {
            target = currentBpm * (1 - rate);
            why = String.format(Locale.ROOT, "deadline miss rate %.1f%% > 2%%: slow down", s.deadlineMissRate() * 100);
        } else if (s.completionRate() > 0.95 && s.cpuUtilization() < 0.70) {
            target = currentBpm * (1 + rate);
            why = String.format(Locale.ROOT, "completion %.1f%% > 95%% with CPU %.0f%% < 70%%: speed up",
                    s.completionRate() * 100, s.cpuUtilization() * 100);
        } else {
            why = "within limits: keep the tempo";
        }
        target = Math.max(currentBpm * 0.9, Math.min(currentBpm * 1.1, target));
        target = Math.max(minBpm, Math.min(maxBpm, target));
        return new Decision(currentBpm, target, why);
    }

    /**
     * Call at each downbeat (bar {@code barIndex}): advises and, when requests are enabled and the
     * advice changes the tempo, asks the pulse (once per bar). Returns the pulse's HTTP status, or
     * 0 when nothing was sent.
     */
    public int onDownbeat(long barIndex, double currentBpm, TempoSample s) throws java.io.IOException,
            InterruptedException {
        Decision d = advise(currentBpm, s);
        if (http == null || !d.changes() || barIndex <= lastRequestBar) {
            return 0;
        }
        lastRequestBar = barIndex;
        String body = String.format(Locale.ROOT, "{\"tempo_bpm\": %.6f, \"justification\": \"%s\"}",
                d.recommendedBpm(), d.reason().replace("\"", "'"));
        HttpRequest.Builder req = HttpRequest.newBuilder(adminTempo).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            req.header("Authorization", "Bearer " + token);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Builder. */
    public static final class Builder {
        private final double minBpm;
        private final double maxBpm;
        private double rate = 0.05;
        private URI adminTempo;
        private String token;

        private Builder(double minBpm, double maxBpm) {
            if (!(minBpm > 0) || !(maxBpm >= minBpm)) {
                throw new IllegalArgumentException("need 0 < minBpm <= maxBpm, got " + minBpm + ", " + maxBpm);
            }
            this.minBpm = minBpm;
            this.maxBpm = maxBpm;
        }

        /** Step as a share of the tempo (default 0.05; the step is capped at 0.10). */
        public Builder adjustmentRate(double rate) {
            if (!(rate > 0 && rate <= 0.10)) {
                throw new IllegalArgumentException("adjustment rate must be in (0, 0.10], got " + rate);
            }
            this.rate = rate;
            return this;
        }

        /** Sends changes to {@code adminBaseUrl + "/tempo"}, with {@code token} as bearer when not null. */
        public Builder enableRequests(String adminBaseUrl, String token) {
            this.adminTempo = URI.create(Objects.requireNonNull(adminBaseUrl).replaceAll("/+$", "") + "/tempo");
            this.token = token;
            return this;
        }

        public AdaptiveTempoController build() {
            return new AdaptiveTempoController(this);
        }
    }
}
