package io.backbeat.pulse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.backbeat.api.EpochNanos;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A backup of the replicated state: the timeline (anchor, tempo, bar, phases, pending change, and the
 * term and leader that last recorded it) and the tempo policy, as one JSON document
 * ({@code GET /backup}). Restoring ({@code --restore-from}) starts a new cluster on the same grid: its
 * first leader commits the backed-up timeline, with the term and leader cleared (a new cluster's
 * terms start again at 1), so beat indexes and the anchor continue exactly.
 *
 * @param clusterId the cluster the backup was taken from
 * @param takenAt   RFC 3339, when it was taken
 * @param node      the node it was taken on
 * @param timeline  the timeline descriptor
 * @param policy    the tempo policy, or null when the cluster replicated none
 */
public record Backup(String clusterId, String takenAt, String node, TimelineDescriptor timeline, TempoPolicy policy) {
    /** The {@code format} field of a backup file. */
    public static final String FORMAT = "backbeat-backup/1";
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    public Backup {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(timeline, "timeline");
    }

    /** A backup of {@code timeline} and {@code policy} now, on {@code node}. */
    static Backup of(TimelineDescriptor timeline, TempoPolicy policy, String node, long nowEpochNanos) {
        return new Backup(timeline.clusterId(), EpochNanos.rfc3339(nowEpochNanos), node, timeline, policy);
    }

    /** The JSON document. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("cluster_id", clusterId);
        m.put("taken_at", takenAt);
        m.put("node", node);
        m.put("timeline", timeline);
        m.put("policy", policy);
        return m;
    }

    /**
     * Reads a backup file.
     *
     * @throws IOException              unreadable file
     * @throws IllegalArgumentException not a backup, another format, or an invalid timeline
     */
    public static Backup read(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !FORMAT.equals(n.path("format").asText())) {
            throw new IllegalArgumentException("not a " + FORMAT + " file (format: " + (n == null ? "none"
                    : n.path("format").asText("none")) + ")");
        }
        try {
            TimelineDescriptor d = JSON.treeToValue(n.get("timeline"), TimelineDescriptor.class);
            TempoPolicy p = n.hasNonNull("policy") ? JSON.treeToValue(n.get("policy"), TempoPolicy.class) : null;
            return new Backup(d.clusterId(), n.path("taken_at").asText(""), n.path("node").asText(""), d, p);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException("invalid timeline in the backup: " + e.getMessage());
        }
    }
}
