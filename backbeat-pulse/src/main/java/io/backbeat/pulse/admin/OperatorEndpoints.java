package io.backbeat.pulse.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.backbeat.pulse.admin.AdminHttp.error;
import static io.backbeat.pulse.admin.AdminHttp.field;
import static io.backbeat.pulse.admin.AdminHttp.json;
import static io.backbeat.pulse.admin.AdminHttp.jsonRequest;
import static io.backbeat.pulse.admin.AdminHttp.methodNotAllowed;

/**
 * The operator's endpoints: {@code GET/POST /members}, {@code DELETE /members/{id}},
 * {@code POST /leader/transfer} (each change awaited up to 30 s) and {@code GET /backup}; every one
 * but the member list needs the token when one is set.
 */
final class OperatorEndpoints {
    private static final String ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    private static final String ADDRESS = "[A-Za-z0-9.\\-\\[\\]:]{1,253}:[0-9]{1,5}";

    private final PulseAdmin node;
    private final AdminAuth auth;

    OperatorEndpoints(PulseAdmin node, AdminAuth auth) {
        this.node = node;
        this.auth = auth;
    }

    /** GET /members, POST /members, DELETE /members/{id}. */
    void members(HttpExchange ex, String method, String path) throws IOException {
        if (path.equals("/members") && method.equals("GET")) {
            json(ex, 200, membersBody());
        } else if (path.equals("/members") && method.equals("POST")) {
            JsonNode req = jsonRequest(ex, auth, "POST /members", "{\"id\": \"p4\", \"address\": \"10.0.0.4:9081\"}");
            String id = req == null ? null : field(ex, req, "id", ID);
            String address = id == null ? null : field(ex, req, "address", ADDRESS);
            if (address != null) {
                change(ex, node.addMember(id, address));
            }
        } else if (path.startsWith("/members/") && method.equals("DELETE")) {
            if (!auth.permits(ex, "DELETE /members/{id}")) {
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
    void backup(HttpExchange ex, String method) throws IOException {
        if (!method.equals("GET")) {
            methodNotAllowed(ex, "GET");
            return;
        }
        if (!auth.permits(ex, "GET /backup")) {
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
    void transfer(HttpExchange ex, String method) throws IOException {
        if (!method.equals("POST")) {
            methodNotAllowed(ex, "POST");
            return;
        }
        JsonNode req = jsonRequest(ex, auth, "POST /leader/transfer", "{\"id\": \"p2\"}");
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
}
