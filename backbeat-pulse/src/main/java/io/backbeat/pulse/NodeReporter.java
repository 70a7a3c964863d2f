package io.backbeat.pulse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * What the status page shows beyond this node: every second each node publishes a small JSON report
 * of itself (role, term, readiness and its reasons, clock offset, drift, degradation) on
 * {@code backbeat.{cluster}.nodes}, and keeps the latest report of every node it hears (at most
 * {@value #MAX_NODES}; a report older than {@value #STALE_MS} ms is shown as silent). It also keeps
 * this node's recent events (leadership changes, tempo changes, degradations, clock verdicts) for the
 * page. Reports are display only: nothing decides on them. Malformed reports are dropped and counted.
 * One daemon thread, {@code backbeat-report-<node>}, on absolute deadlines.
 */
final class NodeReporter implements AutoCloseable {
    static final int MAX_NODES = 64;
    static final long STALE_MS = 5_000;
    private static final int MAX_EVENTS = 50;
    private static final int MAX_REPORT_BYTES = 8 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(NodeReporter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection nats;
    private final String subject;
    private final String nodeId;
    private final Supplier<Map<String, Object>> self;
    private final Runnable tick;
    private final Map<String, Map<String, Object>> nodes = new TreeMap<>(); // guarded by this
    private final Map<String, Long> heardAtMs = new TreeMap<>();             // guarded by this
    private final ArrayDeque<Map<String, Object>> events = new ArrayDeque<>(); // guarded by this
    private final Thread thread;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong malformed = new java.util.concurrent.atomic.AtomicLong();
    private Dispatcher dispatcher;

    /**
     * @param self what this node reports, built each second
     * @param tick run each second before the report (the node checks its transitions there)
     */
    NodeReporter(Connection nats, String clusterId, String nodeId, Supplier<Map<String, Object>> self, Runnable tick) {
        this.nats = Objects.requireNonNull(nats, "nats");
        this.subject = "backbeat." + clusterId + ".nodes";
        this.nodeId = nodeId;
        this.self = self;
        this.tick = tick;
        this.thread = new Thread(this::run, "backbeat-report-" + nodeId);
        thread.setDaemon(true);
    }

    synchronized void start() {
        dispatcher = nats.createDispatcher(m -> onReport(m.getData()));
        dispatcher.subscribe(subject);
        thread.start();
    }

    /** Records one of this node's events for the page. */
    synchronized void event(String text) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("at_ms", System.currentTimeMillis());
        e.put("node", nodeId);
        e.put("text", text);
        events.addFirst(e);
        while (events.size() > MAX_EVENTS) {
            events.removeLast();
        }
    }

    /** Recent events, newest first. */
    synchronized List<Map<String, Object>> events() {
        return List.copyOf(events);
    }

    /** The latest report of every node heard, with {@code age_ms} and {@code silent} added. */
    synchronized List<Map<String, Object>> nodes() {
        long now = System.currentTimeMillis();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : nodes.entrySet()) {
            Map<String, Object> r = new LinkedHashMap<>(e.getValue());
            long age = now - heardAtMs.get(e.getKey());
            r.put("age_ms", age);
            r.put("silent", age > STALE_MS);
            out.add(r);
        }
        return out;
    }

    long malformed() {
        return malformed.get();
    }

    private void onReport(byte[] data) {
        try {
            if (data == null || data.length > MAX_REPORT_BYTES) {
                malformed.incrementAndGet();
                return;
            }
            JsonNode n = JSON.readTree(data);
            String id = n == null ? null : n.path("node").asText(null);
            if (id == null || id.isEmpty() || id.length() > 128) {
                malformed.incrementAndGet();
                return;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> report = JSON.convertValue(n, Map.class);
            synchronized (this) {
                if (!nodes.containsKey(id) && nodes.size() >= MAX_NODES) {
                    return;
                }
                nodes.put(id, report);
                heardAtMs.put(id, System.currentTimeMillis());
            }
        } catch (java.io.IOException | RuntimeException e) {
            malformed.incrementAndGet();
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (!closed) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            next += 1_000_000_000L;
            try {
                tick.run();
                Map<String, Object> r = new LinkedHashMap<>(self.get());
                r.put("node", nodeId);
                nats.publish(subject, JSON.writeValueAsBytes(r));
            } catch (Exception e) { // NATS down, a report that did not build: try again next second
                LOG.debug("node report of {} failed: {}", nodeId, e.toString());
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        LockSupport.unpark(thread);
        if (dispatcher != null) {
            try {
                nats.closeDispatcher(dispatcher);
            } catch (RuntimeException ignored) {
                // the connection is closing
            }
            dispatcher = null;
        }
    }
}
