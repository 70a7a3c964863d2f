package io.backbeat.api;

/** Validation of cluster ids: 1-64 characters of {@code [A-Za-z0-9_-]}, a single NATS subject token. */
public final class ClusterId {
    /** Longest cluster id allowed by the protocol. */
    public static final int MAX_LENGTH = 64;

    private ClusterId() {
    }

    /** Returns {@code true} when {@code id} is a valid cluster id. */
    public static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns {@code id} when valid.
     *
     * @throws IllegalArgumentException naming what is wrong with the id
     */
    public static String requireValid(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("cluster id must be 1-" + MAX_LENGTH
                    + " characters of [A-Za-z0-9_-], got " + (id == null ? "null" : "'" + id + "'"));
        }
        return id;
    }

    /** {@code backbeat.{cluster}.beat}. */
    public static String beatSubject(String clusterId) {
        return "backbeat." + requireValid(clusterId) + ".beat";
    }

    /** {@code backbeat.{cluster}.timeline}: request/reply for the current descriptor. */
    public static String timelineSubject(String clusterId) {
        return "backbeat." + requireValid(clusterId) + ".timeline";
    }

    /** {@code backbeat.{cluster}.status}: status claims from services. */
    public static String statusSubject(String clusterId) {
        return "backbeat." + requireValid(clusterId) + ".status";
    }
}
