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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Membership of a group of clones over NATS, for {@code io.backbeat.rhythm.SlotScheduler}: every member publishes
 * {@code alive <id>} on {@code backbeat.{cluster}.members.{group}} every {@code heartbeat} and
 * {@code leave <id>} when closed; a member silent for {@code expiry} is dropped. The sorted live
 * members give each clone its index and the count, so joins and leaves re-slot everyone within one
 * heartbeat (keep it at most half a beat). One named daemon thread; thread-safe.
 *
 * <p>On a {@link io.backbeat.client.BeatClient}'s own connection (no second one), closed with it:
 * {@code client.membership(group, memberId, heartbeat, expiry)}.
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

    private final String subject;
    private final String self;
    private final long heartbeatNanos;
    private final long expiryNanos;
    private final Map<String, Long> lastSeen = new TreeMap<>();
    private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile Connection nats; // null until the connection exists
    private Dispatcher dispatcher; // guarded by this
    private volatile View view;
    private volatile boolean closed;

    /**
     * Joins {@code group} of {@code clusterId} as {@code memberId} (1-64 of {@code [A-Za-z0-9_.-]}).
     */
    public NatsMembership(Connection nats, String clusterId, String group, String memberId, Duration heartbeat,
                          Duration expiry) {
        this(CompletableFuture.completedFuture(Objects.requireNonNull(nats, "nats")), clusterId, group, memberId,
                heartbeat, expiry);
    }

    /**
     * Joins as {@link #NatsMembership(Connection, String, String, String, Duration, Duration)} does, once
     * {@code nats} completes (a connection still being made); until then the view holds this member
     * alone and no heartbeat is sent.
     */
    public NatsMembership(CompletionStage<Connection> nats, String clusterId, String group, String memberId,
                          Duration heartbeat, Duration expiry) {
        Objects.requireNonNull(nats, "nats");
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
        this.thread = new Thread(this::run, "backbeat-members-" + group + "-" + memberId);
        this.thread.setDaemon(true);
        this.thread.start();
        nats.thenAccept(this::attach);
    }

    /** The connection exists: listen, then heartbeat on it (at once). */
    private void attach(Connection c) {
        synchronized (this) {
            if (closed) {
                return;
            }
            dispatcher = c.createDispatcher(msg -> onMessage(new String(msg.getData(), StandardCharsets.UTF_8)));
            dispatcher.subscribe(subject);
            nats = c;
        }
        java.util.concurrent.locks.LockSupport.unpark(thread);
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
        Connection sentOn = null;
        while (!closed) {
            Connection c = nats;
            boolean due = System.nanoTime() - next >= 0;
            if (due || c != sentOn) { // due, or just connected: heartbeat now
                try {
                    if (c != null) {
                        c.publish(subject, ("alive " + self).getBytes(StandardCharsets.UTF_8));
                    }
                } catch (RuntimeException e) {
                    LOG.debug("heartbeat not sent: {}", e.toString());
                }
                sentOn = c;
                refresh();
                long now = System.nanoTime();
                next = (due ? next : now) + heartbeatNanos; // absolute schedule: no drift from the work above
                if (next - now < 0) {
                    next = now;
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
        }
    }

    /** Says {@code leave} (when connected) and stops; the connection stays open. Idempotent. */
    @Override
    public void close() {
        Connection c;
        Dispatcher d;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = nats;
            d = dispatcher;
        }
        thread.interrupt();
        if (c == null) {
            return;
        }
        try {
            c.publish(subject, ("leave " + self).getBytes(StandardCharsets.UTF_8));
            c.closeDispatcher(d);
        } catch (RuntimeException e) {
            LOG.debug("leave not sent: {}", e.toString());
        }
    }
}
