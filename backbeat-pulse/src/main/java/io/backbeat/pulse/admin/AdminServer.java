package io.backbeat.pulse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.backbeat.pulse.admin.AdminHttp.error;
import static io.backbeat.pulse.admin.AdminHttp.json;
import static io.backbeat.pulse.admin.AdminHttp.methodNotAllowed;

/**
 * The admin HTTP API (JDK HTTP server on named daemon threads): {@code GET/POST /tempo},
 * {@code GET /drift}, {@code /leader}, {@code /status}, {@code /health}, {@code /ready}, {@code /live},
 * {@code /metrics}. JSON in snake_case. Writes need {@code Authorization: Bearer <token>} when a token
 * is configured. A refused tempo change answers 422 with a reason; a malformed request 400; never a 500
 * for bad input (an unexpected failure answers 500 JSON and the server keeps running).
 *
 * <p>Hardening: a request must be read within {@value #MAX_REQUEST_SECONDS} s (the JDK server's
 * {@code sun.net.httpserver.maxReqTime}; a slow client is disconnected) and the pool grows to
 * {@value #MAX_THREADS} threads, so slow connections cannot starve {@code /live}. {@code POST}
 * needs {@code Content-Type: application/json} (415 otherwise: a cross-origin form or
 * {@code text/plain} POST cannot change the tempo); the JSON must be one object with no trailing
 * data and no duplicate keys; the auth scheme is case-insensitive; {@code HEAD} is answered
 * wherever {@code GET} is; {@code GET /metrics} and {@code /status} need the token too when reads
 * are protected.
 *
 * <p>This class routes requests; its parts are {@link AdminHttp} (the HTTP and JSON conventions),
 * {@link AdminAuth} (the token), {@link OperatorEndpoints} (members, leader transfer, backup) and
 * {@link StatusPage} (the page and its event stream).
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    static final int MAX_REQUEST_SECONDS = 5;
    static final int MAX_THREADS = 128;

    static {
        // read by the JDK server once, when its first instance is made: the time a request may take to
        // arrive, and a response to leave (a large /metrics to a slow scraper included)
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS));
        }
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
            System.setProperty("sun.net.httpserver.maxRspTime", "30");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final PulseAdmin node;
    private final PrometheusMeterRegistry registry;
    private final AdminAuth auth;
    private final boolean protectReads;
    private final OperatorEndpoints operator;
    private final StatusPage statusPage;

    /** Binds {@code address} (port 0 = any free port) and starts serving; reads are open to all. */
    public AdminServer(InetSocketAddress address, PulseAdmin node, PrometheusMeterRegistry registry, String token)
            throws IOException {
        this(address, node, registry, token, false);
    }

    /**
     * Binds {@code address} and starts serving. With {@code protectReads} (and a token),
     * {@code GET /metrics} and {@code /status} need the token as writes do.
     */
    public AdminServer(InetSocketAddress address, PulseAdmin node, PrometheusMeterRegistry registry, String token,
                       boolean protectReads) throws IOException {
        this.node = node;
        this.protectReads = protectReads;
        this.registry = registry;
        this.auth = new AdminAuth(token);
        this.operator = new OperatorEndpoints(node, auth);
        this.statusPage = new StatusPage(node);
        AtomicInteger n = new AtomicInteger();
        // grows with the connections being served (a slow client holds a thread until the read timeout);
        // past the cap a connection is dropped, and the JDK server closes it after the read timeout
        this.executor = new java.util.concurrent.ThreadPoolExecutor(4, MAX_THREADS, 30, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "backbeat-admin-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
        this.server = HttpServer.create(address, 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (method.equals("HEAD")) {
                ex.setAttribute(AdminHttp.HEAD, Boolean.TRUE); // answered as GET, without a body
                method = "GET";
            }
            if (protectReads && (path.equals("/metrics") || path.equals("/status") || path.equals("/events"))
                    && !auth.permits(ex, "GET " + path, " (reads are protected: --admin-protect-reads)")) {
                return;
            }
            try {
                switch (path) {
                    case "/tempo" -> {
                        if (method.equals("GET")) {
                            json(ex, 200, node.tempo());
                        } else if (method.equals("POST")) {
                            postTempo(ex);
                        } else {
                            methodNotAllowed(ex, "GET, POST");
                        }
                    }
                    case "/drift" -> get(ex, () -> node.drift());
                    case "/leader" -> get(ex, () -> node.leader());
                    case "/status" -> get(ex, () -> Map.of("recent_beats", node.recentStatus()));
                    case "/live" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        List<String> why = node.liveProblems();
                        json(ex, why.isEmpty() ? 200 : 503, Map.of("status", why.isEmpty() ? "alive" : "dead",
                                "reasons", why));
                    }
                    case "/ready" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        List<String> why = node.notReadyReasons();
                        json(ex, why.isEmpty() ? 200 : 503, Map.of("ready", why.isEmpty(), "reasons", why));
                    }
                    case "/health" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        List<String> why = node.healthProblems();
                        PulseAdmin.DriftStatus drift = node.drift();
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("status", why.isEmpty() ? "ok" : "degraded");
                        body.put("problems", why);
                        body.put("is_leader", node.leader().isLeader());
                        body.put("degradation_mode", drift.degradationMode());
                        json(ex, why.isEmpty() ? 200 : 503, body);
                    }
                    case "/metrics" -> {
                        if (!method.equals("GET")) {
                            methodNotAllowed(ex, "GET");
                            return;
                        }
                        byte[] text = registry.scrape().getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                        if (AdminHttp.isHead(ex)) {
                            ex.sendResponseHeaders(200, -1);
                        } else {
                            ex.sendResponseHeaders(200, text.length);
                            ex.getResponseBody().write(text);
                        }
                    }
                    case "/", "/index.html" -> statusPage.page(ex, method);
                    case "/leader/transfer" -> operator.transfer(ex, method);
                    case "/members" -> operator.members(ex, method, path);
                    case "/backup" -> operator.backup(ex, method);
                    case "/events" -> statusPage.events(ex, method);
                    default -> {
                        if (path.startsWith("/members/")) {
                            operator.members(ex, method, path);
                        } else {
                            error(ex, 404, "not found", "no endpoint " + path);
                        }
                    }
                }
            } catch (RuntimeException e) {
                LOG.error("admin request {} {} failed", method, path, e);
                error(ex, 500, "internal error", e.toString());
            }
        }
    }

    private interface Body {
        Object get();
    }

    private void get(HttpExchange ex, Body body) throws IOException {
        if (!ex.getRequestMethod().equals("GET") && !AdminHttp.isHead(ex)) {
            methodNotAllowed(ex, "GET");
            return;
        }
        json(ex, 200, body.get());
    }

    private void postTempo(HttpExchange ex) throws IOException {
        JsonNode req = AdminHttp.jsonRequest(ex, auth, "POST /tempo", "{\"tempo_bpm\": 13.2, \"justification\": \"...\"}");
        if (req == null) {
            return;
        }
        JsonNode bpmNode = req.get("tempo_bpm");
        if (bpmNode == null || !bpmNode.isNumber()) {
            error(ex, 400, "malformed request", "tempo_bpm is required and must be a number");
            return;
        }
        double bpm = bpmNode.asDouble();
        if (!Double.isFinite(bpm) || bpm <= 0) {
            error(ex, 400, "malformed request", "tempo_bpm must be a finite number > 0");
            return;
        }
        JsonNode just = req.get("justification");
        if (just != null && !just.isNull() && !just.isTextual()) {
            error(ex, 400, "malformed request", "justification must be a string");
            return;
        }
        PulseAdmin.TempoChangeResult r;
        try {
            r = node.requestTempo(bpm, just == null || just.isNull() ? "" : just.asText()).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            error(ex, 503, "not committed", "the change could not be committed: " + e);
            return;
        }
        if (r.accepted()) {
            json(ex, 200, r);
        } else {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("error", "tempo change refused");
            b.put("reason", r.reason());
            b.put("tempo_bpm", bpm);
            json(ex, 422, b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
