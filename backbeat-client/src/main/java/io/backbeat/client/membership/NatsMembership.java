package io.backbeat.client.membership;

import io.backbeat.api.ClusterId;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Membership of a group of clones over NATS, for {@code io.backbeat.rhythm.SlotScheduler}: every member publishes
 * {@code alive <id>} on {@code backbeat.{cluster}.members.{group}} every {@code heartbeat} and
 * {@code leave <id>} when closed; a member silent for {@code expiry} is dropped. The sorted live
 * members give each clone its index and the count, so joins and leaves re-slot everyone within one
 * heartbeat (keep it at most half a beat). One named daemon thread; thread-safe.
 */
public final class NatsMembership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatsMembership.class);

    /** This member's place: index among {@code members} (sorted ids) and their count. */
    public record View(String self, List<String> members) {
        public View {
            members = List.copyOf(members);
        }

        public int index() {
            return members.indexOf(self);
        }

        public int count() {
            return members.size();
        }
    }

    private final Connection nats;
    private final String subject;
    private final String self;
    private final long heartbeatNanos;
    private final long expiryNanos;
    private final Map<String, Long> lastSeen = new TreeMap<>();
    private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final Dispatcher dispatcher;
    private volatile View view;
    private volatile boolean closed;

    /**
     * Joins {@code group} of {@code clusterId} as {@code memberId} (1-64 of {@code [A-Za-z0-9_.-]}).
     */
    public NatsMembership(Connection nats, String clusterId, String group, String memberId, Duration heartbeat,
                          Duration expiry) {
        this.nats = Objects.requireNonNull(nats);
        if (!group.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("group must be 1-64 of [A-Za-z0-9_-], got '" + group + "'");
        }
        if (!memberId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("member id must be 1-64 of [A-Za-z0-9_.-], got '" + memberId + "'");
        }
        if (expiry.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("expiry must be at least two heartbeats, got " + expiry);
        }
        this.subject = "backbeat." + ClusterId.requireValid(clusterId) + ".members." + group;
        this.self = memberId;
        this.heartbeatNanos = heartbeat.toNanos();
        this.expiryNanos = expiry.toNanos();
        synchronized (lastSeen) {
            lastSeen.put(self, System.nanoTime());
            view = new View(self, List.of(self));
        }
        this.dispatcher = nats.createDispatcher(msg -> onMessage(new String(msg.getData(), StandardCharsets.UTF_8)));
        dispatcher.subscribe(subject);
        this.thread = new Thread(this::run, "backbeat-members-" + group + "-" + memberId);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The current view. */
    public View view() {
        return view;
    }

    /** Called (on the membership thread or NATS' thread) whenever the view changes. */
    public void onChange(Consumer<View> listener) {
        listeners.add(listener);
    }

    private void onMessage(String text) {
        int sp = text.indexOf(' ');
        if (sp < 0) {
            return;
        }
        String kind = text.substring(0, sp);
        String id = text.substring(sp + 1);
        if (!id.matches("[A-Za-z0-9_.-]{1,64}")) {
            return; // malformed: ignored
        }
        synchronized (lastSeen) {
            if (kind.equals("alive")) {
                lastSeen.put(id, System.nanoTime());
            } else if (kind.equals("leave") && !id.equals(self)) {
                lastSeen.remove(id);
            }
        }
        refresh();
    }

    private void refresh() {
        View next;
        synchronized (lastSeen) {
            long now = System.nanoTime();
            lastSeen.put(self, now);
            lastSeen.values().removeIf(t -> now - t > expiryNanos);
            next = new View(self, new ArrayList<>(lastSeen.keySet()));
        }
        if (!next.equals(view)) {
            view = next;
            for (Consumer<View> l : listeners) {
                try {
                    l.accept(next);
                } catch (RuntimeException e) {
                    LOG.warn("membership listener failed", e);
                }
            }
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (!closed) {
            try {
                nats.publish(subject, ("alive " + self).getBytes(StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                LOG.debug("heartbeat not sent: {}", e.toString());
            }
            refresh();
            next += heartbeatNanos; // absolute schedule: no drift from the work above
            long wait = next - System.nanoTime();
            if (wait < 0) {
                next = System.nanoTime();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        try {
            nats.publish(subject, ("leave " + self).getBytes(StandardCharsets.UTF_8));
            nats.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            LOG.debug("leave not sent: {}", e.toString());
        }
    }
}
