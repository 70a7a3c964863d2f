package io.backbeat.pulse.config;

import java.lang.reflect.RecordComponent;
import java.util.Set;

/** {@code toString} of a record with its secret components shown as {@code ***} (or empty when unset). */
final class Redacted {
    private Redacted() {
    }

    static String toString(Record r, Set<String> secrets) {
        StringBuilder sb = new StringBuilder(r.getClass().getSimpleName()).append('[');
        RecordComponent[] components = r.getClass().getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            Object v;
            try {
                v = c.getAccessor().invoke(r);
            } catch (ReflectiveOperationException e) {
                v = "?";
            }
            if (secrets.contains(c.getName()) && v != null && !v.toString().isEmpty()) {
                v = "***";
            }
            sb.append(i == 0 ? "" : ", ").append(c.getName()).append('=').append(v);
        }
        return sb.append(']').toString();
    }
}
