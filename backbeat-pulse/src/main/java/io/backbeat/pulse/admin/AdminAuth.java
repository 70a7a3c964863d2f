package io.backbeat.pulse.admin;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The admin token: a request is permitted when no token is configured or it carries
 * {@code Authorization: Bearer <token>} (the scheme case-insensitive, compared in constant time);
 * otherwise it is answered 401 with {@code WWW-Authenticate: Bearer}.
 */
final class AdminAuth {
    private final byte[] token;

    /** @param token the token, or null / empty for none */
    AdminAuth(String token) {
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code ex} may proceed; if not, answers 401 naming {@code what} ({@code GET /backup}). */
    boolean permits(HttpExchange ex, String what) throws IOException {
        return permits(ex, what, "");
    }

    /** As {@link #permits(HttpExchange, String)}, with {@code more} appended to the 401's reason. */
    boolean permits(HttpExchange ex, String what, String more) throws IOException {
        if (token == null || authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        AdminHttp.error(ex, 401, "unauthorized", what + " needs 'Authorization: Bearer <BACKBEAT_ADMIN_TOKEN>'" + more);
        return false;
    }

    private boolean authorized(String header) {
        // the scheme is case-insensitive (RFC 9110 section 11.1)
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }
}
