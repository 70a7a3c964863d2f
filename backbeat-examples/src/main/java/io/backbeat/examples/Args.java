package io.backbeat.examples;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Minimal flag parsing for the examples: {@code --name value} or {@code --name=value}. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    /** Thrown for a bad command line; the message names the flag. */
    static final class BadArgs extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadArgs(String message) {
            super(message);
        }
    }

    Args(String[] args, Set<String> known) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-")) {
                throw new BadArgs("unexpected argument '" + a + "'");
            }
            String name = a.replaceFirst("^--?", "");
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new BadArgs("--" + name + " needs a value");
            }
            if (!known.contains(name)) {
                throw new BadArgs("unknown flag --" + name + " (known: --" + String.join(", --", known) + ")");
            }
            values.put(name, value);
        }
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    Duration duration(String name, Duration dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return parseDuration(v);
        } catch (RuntimeException e) {
            throw new BadArgs("--" + name + ": '" + v + "' is not a duration (examples: 500ms, 5s, 2m)");
        }
    }

    int intValue(String name, int dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new BadArgs("--" + name + ": '" + v + "' is not a whole number");
        }
    }

    static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.endsWith("ms")) {
            return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 2)) * 1e6));
        }
        if (s.endsWith("s")) {
            return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1e9));
        }
        if (s.endsWith("m")) {
            return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 60e9));
        }
        if (s.endsWith("h")) {
            return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 3600e9));
        }
        return Duration.parse(v);
    }
}
