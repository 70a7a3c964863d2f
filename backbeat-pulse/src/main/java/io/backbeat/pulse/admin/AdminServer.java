package io.backbeat.pulse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_BODY = 64 * 1024;
    static final int MAX_REQUEST_SECONDS = 5;
    static final int MAX_THREADS = 128;
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

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

    private static final String HEAD = "backbeat.head";
    private final HttpServer server;
    private final ExecutorService executor;
    private final PulseAdmin node;
    private final PrometheusMeterRegistry registry;
    private final byte[] token;
    private final boolean protectReads;
    private final AtomicInteger eventStreams = new AtomicInteger();
    static final long EVENT_PERIOD_MS = 50;
    static final long EVENT_STREAM_SECONDS = 25;
    static final int MAX_EVENT_STREAMS = 16;

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
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
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
                ex.setAttribute(HEAD, Boolean.TRUE); // answered as GET, without a body
                method = "GET";
            }
            if (protectReads && token != null && (path.equals("/metrics") || path.equals("/status")
                    || path.equals("/events"))
                    && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                error(ex, 401, "unauthorized", "GET " + path + " needs 'Authorization: Bearer <BACKBEAT_ADMIN_TOKEN>'"
                        + " (reads are protected: --admin-protect-reads)");
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
                        if (ex.getAttribute(HEAD) != null) {
                            ex.sendResponseHeaders(200, -1);
                        } else {
                            ex.sendResponseHeaders(200, text.length);
                            ex.getResponseBody().write(text);
                        }
                    }
                    case "/", "/index.html" -> statusPage(ex, method);
                    case "/leader/transfer" -> transfer(ex, method);
                    case "/members" -> members(ex, method, path);
                    case "/backup" -> backup(ex, method);
                    case "/events" -> events(ex, method);
                    default -> {
                        if (path.startsWith("/members/")) {
                            members(ex, method, path);
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

    /** GET /: the live status page (one self-contained HTML file in the jar: no build step, no CDN). */
    private void statusPage(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET")) {
            methodNotAllowed(ex, "GET");
            return;
        }
        byte[] page;
        try (InputStream in = AdminServer.class.getResourceAsStream("status.html")) {
            if (in == null) {
                error(ex, 500, "internal error", "status.html is missing from the jar");
                return;
            }
            page = in.readAllBytes();
        }
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                + "style-src 'self' 'unsafe-inline'; img-src 'self' data:");
        if (ex.getAttribute(HEAD) != null) {
            ex.sendResponseHeaders(200, -1);
        } else {
            ex.sendResponseHeaders(200, page.length);
            ex.getResponseBody().write(page);
        }
    }

    /**
     * GET /events: Server-Sent Events. Every {@value #EVENT_PERIOD_MS} ms the node's {@link PulseAdmin#live()}
     * view is sent when it changed (at least once a second); each stream ends after
     * {@value #EVENT_STREAM_SECONDS} s (the server bounds every response) and the browser's
     * {@code EventSource} reconnects after {@code retry} ms. At most {@value #MAX_EVENT_STREAMS} streams
     * at once (503 beyond), so pages cannot use up the admin threads.
     */
    private void events(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET") || ex.getAttribute(HEAD) != null) {
            methodNotAllowed(ex, "GET");
            return;
        }
        if (eventStreams.incrementAndGet() > MAX_EVENT_STREAMS) {
            eventStreams.decrementAndGet();
            error(ex, 503, "too many event streams", "at most " + MAX_EVENT_STREAMS + " status pages at once");
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            java.io.OutputStream out = ex.getResponseBody();
            out.write("retry: 500\n\n".getBytes(StandardCharsets.UTF_8));
            long end = System.nanoTime() + EVENT_STREAM_SECONDS * 1_000_000_000L;
            String last = null;
            long lastSent = 0;
            long next = System.nanoTime();
            while (System.nanoTime() - end < 0) {
                String view = JSON.writeValueAsString(node.live());
                long now = System.nanoTime();
                if (!view.equals(last) || now - lastSent > 1_000_000_000L) {
                    out.write(("data: " + view + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    last = view;
                    lastSent = now;
                }
                next += EVENT_PERIOD_MS * 1_000_000L;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime();
                }
            }
        } catch (IOException e) {
            LOG.debug("event stream closed: {}", e.toString()); // the page went away
        } finally {
            eventStreams.decrementAndGet();
        }
    }

    /**
     * The authorized JSON object body of a write, or null after answering 401 / 415 / 413 / 400.
     *
     * @param what    the request, for messages ({@code POST /tempo})
     * @param example an example body, for the 400 message
     */
    private JsonNode jsonRequest(HttpExchange ex, String what, String example) throws IOException {
        if (token != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            error(ex, 401, "unauthorized", what + " needs 'Authorization: Bearer <BACKBEAT_ADMIN_TOKEN>'");
            return null;
        }
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.split(";")[0].trim().equalsIgnoreCase("application/json")) {
            error(ex, 415, "unsupported media type", what + " needs 'Content-Type: application/json', got "
                    + (type == null ? "none" : "'" + type + "'"));
            return null;
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            error(ex, 413, "body too large", "the request body must be at most " + MAX_BODY + " bytes");
            return null;
        }
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            error(ex, 400, "malformed JSON", "the body must be one JSON object, no duplicate keys and nothing after "
                    + "it, such as " + example);
            return null;
        }
        if (req == null || !req.isObject()) {
            error(ex, 400, "malformed request", "the body must be a JSON object");
            return null;
        }
        return req;
    }

    /** A required non-blank string field, or null after answering 400. */
    private static String field(HttpExchange ex, JsonNode req, String name, String pattern) throws IOException {
        JsonNode n = req.get(name);
        if (n == null || !n.isTextual() || n.asText().isBlank() || !n.asText().matches(pattern)) {
            error(ex, 400, "malformed request", name + " is required: a string matching " + pattern);
            return null;
        }
        return n.asText();
    }

    private static final String ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    private static final String ADDRESS = "[A-Za-z0-9.\\-\\[\\]:]{1,253}:[0-9]{1,5}";

    /** GET /members, POST /members, DELETE /members/{id}. */
    private void members(HttpExchange ex, String method, String path) throws IOException {
        if (path.equals("/members") && method.equals("GET")) {
            json(ex, 200, membersBody());
        } else if (path.equals("/members") && method.equals("POST")) {
            JsonNode req = jsonRequest(ex, "POST /members", "{\"id\": \"p4\", \"address\": \"10.0.0.4:9081\"}");
            String id = req == null ? null : field(ex, req, "id", ID);
            String address = id == null ? null : field(ex, req, "address", ADDRESS);
            if (address != null) {
                change(ex, node.addMember(id, address));
            }
        } else if (path.startsWith("/members/") && method.equals("DELETE")) {
            if (token != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                error(ex, 401, "unauthorized", "DELETE /members/{id} needs 'Authorization: Bearer <BACKBEAT_ADMIN_TOKEN>'");
                return;
            }
            String id = path.substring("/members/".length());
            if (!id.matches(ID)) {
                error(ex, 400, "malformed request", "the member id must match " + ID);
                return;
            }
            change(ex, node.removeMember(id));
        } else {
            methodNotAllowed(ex, path.equals("/members") ? "GET, POST" : "DELETE");
        }
    }

    /** GET /backup (the token when one is set: a backup is an operator's tool). */
    private void backup(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET")) {
            methodNotAllowed(ex, "GET");
            return;
        }
        if (token != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            error(ex, 401, "unauthorized", "GET /backup needs 'Authorization: Bearer <BACKBEAT_ADMIN_TOKEN>'");
            return;
        }
        Map<String, Object> b;
        try {
            b = node.backup();
        } catch (IllegalStateException e) {
            error(ex, 503, "no backup", e.getMessage());
            return;
        }
        ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"backbeat-backup.json\"");
        json(ex, 200, b);
    }

    /** POST /leader/transfer {"id": ...}. */
    private void transfer(HttpExchange ex, String method) throws IOException {
        if (!method.equals("POST")) {
            methodNotAllowed(ex, "POST");
            return;
        }
        JsonNode req = jsonRequest(ex, "POST /leader/transfer", "{\"id\": \"p2\"}");
        String id = req == null ? null : field(ex, req, "id", ID);
        if (id != null) {
            change(ex, node.transferLeadership(id));
        }
    }

    private Map<String, Object> membersBody() {
        Map<String, Object> b = new LinkedHashMap<>();
        List<io.backbeat.consensus.Member> m = node.members();
        b.put("members", m);
        b.put("cluster_size", m.size());
        return b;
    }

    /** Waits for a configuration change: 200 with the members, 400 refused, 501 unsupported, 503 failed. */
    private void change(HttpExchange ex, java.util.concurrent.CompletableFuture<Void> f) throws IOException {
        try {
            f.get(30, TimeUnit.SECONDS);
            json(ex, 200, membersBody());
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalArgumentException) {
                error(ex, 400, "refused", c.getMessage());
            } else if (c instanceof UnsupportedOperationException) {
                error(ex, 501, "not supported", c.getMessage());
            } else {
                error(ex, 503, "not committed", "the change could not be committed: " + c);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            error(ex, 503, "not committed", "the change did not commit within 30 s (it may still)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(ex, 503, "not committed", "interrupted");
        }
    }

    private interface Body {
        Object get();
    }

    private void get(HttpExchange ex, Body body) throws IOException {
        if (!ex.getRequestMethod().equals("GET") && ex.getAttribute(HEAD) == null) {
            methodNotAllowed(ex, "GET");
            return;
        }
        json(ex, 200, body.get());
    }

    private void postTempo(HttpExchange ex) throws IOException {
        JsonNode req = jsonRequest(ex, "POST /tempo", "{\"tempo_bpm\": 13.2, \"justification\": \"...\"}");
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

    private boolean authorized(String header) {
        // the scheme is case-insensitive (RFC 9110 section 11.1)
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    private static void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
        ex.getResponseHeaders().set("Allow", allowed);
        error(ex, 405, "method not allowed", ex.getRequestMethod() + " is not allowed here; use " + allowed);
    }

    private static void error(HttpExchange ex, int status, String error, String reason) throws IOException {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("error", error);
        b.put("reason", reason);
        json(ex, status, b);
    }

    private static void json(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (ex.getAttribute(HEAD) != null) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
