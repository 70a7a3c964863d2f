package io.backbeat.pulse.admin;

import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static io.backbeat.pulse.admin.AdminHttp.error;
import static io.backbeat.pulse.admin.AdminHttp.isHead;
import static io.backbeat.pulse.admin.AdminHttp.methodNotAllowed;

/**
 * The live status page: {@code GET /} serves the page (one self-contained HTML file in the jar: no
 * build step, no CDN) and {@code GET /events} streams the node's {@link PulseAdmin#live()} view to
 * it as Server-Sent Events, at most {@value #MAX_EVENT_STREAMS} streams at once.
 */
final class StatusPage {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class); // its log lines, as before
    static final long EVENT_PERIOD_MS = 50;
    static final long EVENT_STREAM_SECONDS = 25;
    static final int MAX_EVENT_STREAMS = 16;

    private final PulseAdmin node;
    private final AtomicInteger eventStreams = new AtomicInteger();

    StatusPage(PulseAdmin node) {
        this.node = node;
    }

    /** GET /: the page. */
    void page(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET")) {
            methodNotAllowed(ex, "GET");
            return;
        }
        byte[] page;
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
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
        if (isHead(ex)) {
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
    void events(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET") || isHead(ex)) {
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
                String view = AdminHttp.JSON.writeValueAsString(node.live());
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
}
