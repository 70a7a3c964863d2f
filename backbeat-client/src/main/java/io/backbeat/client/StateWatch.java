package io.backbeat.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The client's {@link ConnectionState}: computed from its parts whenever one of them changes, state
 * listeners told of each change in order on the callback executor, waiters woken.
 */
final class StateWatch {
    private static final Logger LOG = LoggerFactory.getLogger(BeatClient.class);

    private final Supplier<ConnectionState> compute;
    private final Executor callbacks;
    private final List<Consumer<ConnectionState>> listeners = new CopyOnWriteArrayList<>();
    private volatile ConnectionState last = ConnectionState.CONNECTING; // written under this

    StateWatch(Supplier<ConnectionState> compute, Executor callbacks) {
        this.compute = compute;
        this.callbacks = callbacks;
    }

    ConnectionState current() {
        return compute.get();
    }

    /**
     * Something changed: notify if the state did. Cheap when it did not (every accepted frame calls
     * it): a few volatile reads, no lock.
     */
    void check() {
        ConnectionState now = compute.get();
        if (now == last) {
            return;
        }
        synchronized (this) {
            if (now == last) {
                return;
            }
            last = now;
            notifyAll();
        }
        for (Consumer<ConnectionState> l : listeners) {
            try {
                callbacks.execute(() -> safely(l, now));
            } catch (RuntimeException e) { // the executor is closed: the client closes
                safely(l, now);
            }
        }
    }

    BeatClient.Registration add(Consumer<ConnectionState> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Waits until the state is LIVE; false when {@code timeout} passes first or the client closes. */
    boolean awaitLive(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                ConnectionState s = compute.get();
                if (s == ConnectionState.LIVE) {
                    return true;
                }
                long left = end - System.nanoTime();
                if (s == ConnectionState.CLOSED || left <= 0) {
                    return false;
                }
                // the state is also recomputed on a timer: a change from a part that does not call check()
                wait(Math.max(1, Math.min(left / 1_000_000L, 50)));
            }
        }
    }

    private static void safely(Consumer<ConnectionState> l, ConnectionState s) {
        try {
            l.accept(s);
        } catch (RuntimeException e) {
            LOG.warn("connection state listener threw on {}", s, e);
        }
    }
}
