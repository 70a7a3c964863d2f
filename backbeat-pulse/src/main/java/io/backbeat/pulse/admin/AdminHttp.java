package io.backbeat.pulse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The admin API's HTTP conventions: JSON in snake_case, errors as {@code {"error", "reason"}},
 * {@code HEAD} answered as {@code GET} without a body, 405 with {@code Allow}, and a write's body
 * checked (authorized, {@code application/json}, at most {@value #MAX_BODY} bytes, one object with no
 * trailing data and no duplicate keys).
 */
final class AdminHttp {
    static final int MAX_BODY = 64 * 1024;
    /** The exchange attribute set on a HEAD request (answered as GET, without a body). */
    static final String HEAD = "backbeat.head";
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private AdminHttp() {
    }

    static boolean isHead(HttpExchange ex) {
        return ex.getAttribute(HEAD) != null;
    }

    /**
     * The authorized JSON object body of a write, or null after answering 401 / 415 / 413 / 400.
     *
     * @param what    the request, for messages ({@code POST /tempo})
     * @param example an example body, for the 400 message
     */
    static JsonNode jsonRequest(HttpExchange ex, AdminAuth auth, String what, String example) throws IOException {
        if (!auth.permits(ex, what)) {
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
    static String field(HttpExchange ex, JsonNode req, String name, String pattern) throws IOException {
        JsonNode n = req.get(name);
        if (n == null || !n.isTextual() || n.asText().isBlank() || !n.asText().matches(pattern)) {
            error(ex, 400, "malformed request", name + " is required: a string matching " + pattern);
            return null;
        }
        return n.asText();
    }

    static void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
        ex.getResponseHeaders().set("Allow", allowed);
        error(ex, 405, "method not allowed", ex.getRequestMethod() + " is not allowed here; use " + allowed);
    }

    static void error(HttpExchange ex, int status, String error, String reason) throws IOException {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("error", error);
        b.put("reason", reason);
        json(ex, status, b);
    }

    static void json(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (isHead(ex)) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
