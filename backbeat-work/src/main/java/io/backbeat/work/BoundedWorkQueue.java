package io.backbeat.work;

import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * A bounded FIFO work queue with an explicit {@link OverflowPolicy}, wait-time accounting and
 * counters that always add up (see {@link QueueStats}).
 *
 * <pre>{@code
 * BoundedWorkQueue<Task> queue = BoundedWorkQueue.<Task>builder(1_000, OverflowPolicy.DROP_OLDEST)
 *         .name("ingest")
 *         .onDrop((task, why) -> log.warn("dropped {} ({})", task, why))
 *         .build();
 * OfferResult r = queue.offer(task);
 * if (!r.accepted()) { ... }
 * }</pre>
 *
 * <p><b>Threading.</b> Every method is thread-safe; any number of producers and consumers may share
 * a queue. Offers under {@link OverflowPolicy#BLOCK} wait at most the block timeout (real time,
 * whatever clock is injected); the other policies never wait. The drop handler runs on the
 * offering thread, outside the queue's lock.
 *
 * <p><b>Failure behaviour.</b> A full queue never throws: the outcome is the returned
 * {@link OfferResult}. {@code null} items are refused with {@link NullPointerException}. A drop
 * handler that throws is logged and counted ({@link #dropHandlerFailures()}); the queue is
 * unaffected. After {@link #close()} offers return {@link OfferResult#CLOSED} while consumers may
 * still drain what is left.
 *
 * <p>The injected nano clock is used only to measure how long items wait in the queue.
 *
 * @param <T> item type
 */
public final class BoundedWorkQueue<T> implements WorkSource<T> {

    private final String name;
    private final int capacity;
    private final OverflowPolicy policy;
    private final long blockTimeoutNanos;
    private final DropNotifier<T> drops;
    private final LongSupplier nanoClock;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final QueueLedger<T> ledger; // guarded by lock
    private boolean closed; // guarded by lock

    private BoundedWorkQueue(Builder<T> b) {
        this.name = b.name;
        this.capacity = b.capacity;
        this.policy = b.policy;
        this.blockTimeoutNanos = b.blockTimeout == null ? 0 : b.blockTimeout.toNanos();
        this.drops = new DropNotifier<>(b.name, b.dropHandler);
        this.nanoClock = b.nanoClock;
        this.ledger = new QueueLedger<>(capacity);
    }

    /**
     * Starts a builder.
     *
     * @param capacity maximum number of queued items, &gt; 0
     * @param policy   what to do when an item is offered to a full queue
     */
    public static <T> Builder<T> builder(int capacity, OverflowPolicy policy) {
        return new Builder<>(capacity, policy);
    }

    /**
     * Offers an item; what happens when the queue is full depends on the {@link OverflowPolicy}.
     * Under BLOCK, an interrupted wait gives up early: the result is {@link OfferResult#TIMED_OUT}
     * and the thread's interrupt status is set again.
     *
     * @return the outcome, never {@code null}
     * @throws NullPointerException if {@code item} is null
     */
    @CheckReturnValue
    public OfferResult offer(T item) {
        Objects.requireNonNull(item, "item");
        T lost = null;
        OfferResult result;
        lock.lock();
        try {
            // an offer is counted with its outcome (never before a wait), so a snapshot taken while a
            // BLOCK offer waits with the lock released still adds up
            if (closed) {
                return ledger.count(OfferResult.CLOSED);
            }
            if (ledger.size() < capacity) {
                enqueue(item);
                return ledger.count(OfferResult.ACCEPTED);
            }
            switch (policy) {
                case REJECT -> {
                    return ledger.count(OfferResult.REJECTED);
                }
                case DROP_NEWEST -> {
                    lost = item;
                    result = ledger.count(OfferResult.DROPPED_NEWEST);
                }
                case DROP_OLDEST -> {
                    lost = ledger.evictOldest();
                    enqueue(item);
                    result = ledger.count(OfferResult.DROPPED_OLDEST);
                }
                case BLOCK -> {
                    return ledger.count(offerBlocking(item));
                }
                default -> throw new AssertionError(policy);
            }
        } finally {
            lock.unlock();
        }
        drops.notify(lost, result);
        return result;
    }

    // called with the lock held and the queue full; the outcome is not counted yet
    private OfferResult offerBlocking(T item) {
        long nanos = blockTimeoutNanos;
        try {
            while (ledger.size() >= capacity && !closed) {
                if (nanos <= 0L) {
                    return OfferResult.TIMED_OUT;
                }
                nanos = notFull.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OfferResult.TIMED_OUT;
        }
        if (closed) {
            return OfferResult.CLOSED;
        }
        enqueue(item);
        return OfferResult.ACCEPTED;
    }

    private void enqueue(T item) {
        ledger.add(item, nanoClock.getAsLong());
        notEmpty.signal();
    }

    /** Takes the head item without waiting; {@code null} when empty. */
    public T poll() {
        lock.lock();
        try {
            return ledger.isEmpty() ? null : takeFirst(nanoClock.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the head item, waiting up to {@code timeout} for one.
     *
     * @return the item, or {@code null} on timeout or when the queue is closed and empty
     * @throws InterruptedException if interrupted while waiting
     */
    public T poll(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            return awaitItem(nanos) ? takeFirst(nanoClock.getAsLong()) : null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves up to {@code max} items, oldest first, into {@code sink} without waiting. The sink is
     * filled under the queue's lock: pass a plain collection, not one that blocks.
     *
     * @return the number of items moved
     */
    @Override
    public int drainTo(Collection<? super T> sink, int max) {
        checkDrainArguments(sink, max);
        lock.lock();
        try {
            return drainLocked(sink, max);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Like {@link #drainTo(Collection, int)} but waits up to {@code timeout} for at least one item.
     *
     * @return the number of items moved; 0 on timeout or when the queue is closed and empty
     * @throws InterruptedException if interrupted while waiting
     */
    public int drainTo(Collection<? super T> sink, int max, Duration timeout) throws InterruptedException {
        checkDrainArguments(sink, max);
        long nanos = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            return awaitItem(nanos) ? drainLocked(sink, max) : 0;
        } finally {
            lock.unlock();
        }
    }

    private static void checkDrainArguments(Collection<?> sink, int max) {
        Objects.requireNonNull(sink, "sink");
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0: " + max);
        }
    }

    // lock held; false on timeout or when the queue is closed and empty
    private boolean awaitItem(long nanos) throws InterruptedException {
        while (ledger.isEmpty()) {
            if (closed || nanos <= 0L) {
                return false;
            }
            nanos = notEmpty.awaitNanos(nanos);
        }
        return true;
    }

    // lock held
    private int drainLocked(Collection<? super T> sink, int max) {
        if (max == 0 || ledger.isEmpty()) {
            return 0;
        }
        int n = ledger.drainTo(sink, max, nanoClock.getAsLong());
        for (int i = 0; i < n; i++) {
            notFull.signal();
        }
        return n;
    }

    // lock held, queue not empty
    private T takeFirst(long now) {
        T item = ledger.takeFirst(now);
        notFull.signal();
        return item;
    }

    /**
     * Closes the queue: later offers return {@link OfferResult#CLOSED}, blocked producers wake up
     * with that result, waiting consumers return once the queue is empty. Queued items stay
     * drainable. Idempotent.
     */
    public void close() {
        lock.lock();
        try {
            closed = true;
            notFull.signalAll();
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** {@code true} once {@link #close()} was called. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Items queued now. */
    public int size() {
        lock.lock();
        try {
            return ledger.size();
        } finally {
            lock.unlock();
        }
    }

    /** The configured capacity. */
    public int capacity() {
        return capacity;
    }

    /** The configured overflow policy. */
    public OverflowPolicy policy() {
        return policy;
    }

    /** The queue's name (for metrics and logs). */
    public String name() {
        return name;
    }

    /** How many times the drop handler threw. */
    public long dropHandlerFailures() {
        return drops.failures();
    }

    /** A consistent snapshot of the counters. */
    public QueueStats stats() {
        lock.lock();
        try {
            return ledger.stats(name, capacity, nanoClock.getAsLong());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "BoundedWorkQueue[" + name + ", " + policy + ", " + size() + "/" + capacity + "]";
    }

    /**
     * Builder for {@link BoundedWorkQueue}. Not thread-safe.
     *
     * @param <T> item type
     */
    public static final class Builder<T> {
        private final int capacity;
        private final OverflowPolicy policy;
        private String name = "work";
        private Duration blockTimeout;
        private BiConsumer<? super T, OfferResult> dropHandler;
        private LongSupplier nanoClock = System::nanoTime;

        private Builder(int capacity, OverflowPolicy policy) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("capacity must be > 0: " + capacity);
            }
            this.capacity = capacity;
            this.policy = Objects.requireNonNull(policy, "policy");
        }

        /** Name used in metrics and logs (default {@code "work"}). */
        public Builder<T> name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * How long an offer under {@link OverflowPolicy#BLOCK} waits for space. Required for BLOCK,
         * refused for the other policies (where it would mean nothing).
         */
        public Builder<T> blockTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("blockTimeout must be >= 0: " + timeout);
            }
            this.blockTimeout = timeout;
            return this;
        }

        /**
         * Receives items lost to DROP_OLDEST (the evicted item, {@link OfferResult#DROPPED_OLDEST})
         * or DROP_NEWEST (the offered item, {@link OfferResult#DROPPED_NEWEST}). Runs on the offering
         * thread outside the lock; exceptions are logged and counted.
         */
        public Builder<T> onDrop(BiConsumer<? super T, OfferResult> handler) {
            this.dropHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Nano clock used for wait-time statistics (default {@code System::nanoTime}). */
        public Builder<T> nanoClock(LongSupplier nanoClock) {
            this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
            return this;
        }

        /**
         * Builds the queue.
         *
         * @throws IllegalStateException if BLOCK has no block timeout, or another policy has one
         */
        public BoundedWorkQueue<T> build() {
            if (policy == OverflowPolicy.BLOCK && blockTimeout == null) {
                throw new IllegalStateException("OverflowPolicy.BLOCK needs a blockTimeout(Duration)");
            }
            if (policy != OverflowPolicy.BLOCK && blockTimeout != null) {
                throw new IllegalStateException("blockTimeout only applies to OverflowPolicy.BLOCK, not " + policy);
            }
            return new BoundedWorkQueue<>(this);
        }
    }
}
