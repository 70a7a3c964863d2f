package io.backbeat.work.stages;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shutdown of a {@link PipelinedProcessor}: intake stops at once, queued items drain through
 * every stage for up to a timeout, then the workers are interrupted and whatever is still queued is
 * handed to the drop handler; what could not be finished is logged (under the pipeline's logger)
 * and counted. It runs once: later calls return the first outcome. Thread-safe.
 *
 * @param <T> payload type
 */
final class PipelineShutdown<T> {

    private static final Logger LOG = LoggerFactory.getLogger(PipelinedProcessor.class);

    private final List<Stage<T>> stages;
    private final PipelinedProcessor.ItemListener<? super T> dropListener;
    private final AtomicBoolean begun = new AtomicBoolean();
    private final Object lock = new Object();
    private Boolean outcome; // guarded by lock
    private volatile long unfinished;

    /** @param stages the pipeline's stages in order; {@code dropListener} may be {@code null} */
    PipelineShutdown(List<Stage<T>> stages, PipelinedProcessor.ItemListener<? super T> dropListener) {
        this.stages = stages;
        this.dropListener = dropListener;
    }

    /** {@code true} once a shutdown began: the pipeline refuses new submissions. */
    boolean begun() {
        return begun.get();
    }

    /** Items the shutdown could not finish before its timeout; 0 before a shutdown. */
    long unfinished() {
        return unfinished;
    }

    /**
     * Shuts the pipeline down, waiting at most {@code timeout} for the queued items to drain.
     *
     * @return {@code true} when every queued item went through before the timeout
     */
    boolean run(Duration timeout) {
        synchronized (lock) {
            if (outcome != null) {
                return outcome;
            }
            begun.set(true);
            stages.get(0).queue.close();
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean clean = true;
            boolean interrupted = false;
            outer:
            for (Stage<T> s : stages) {
                for (Thread t : s.threads) {
                    long left = deadline - System.nanoTime();
                    try {
                        if (left > 0) {
                            t.join(Math.max(1L, left / 1_000_000L));
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    if (t.isAlive()) {
                        clean = false;
                        break outer;
                    }
                }
            }
            if (!clean) {
                long before = failedOrRefused();
                Stopped stopped = stopNow();
                interrupted |= stopped.interrupted();
                unfinished = stopped.handedOver() + (failedOrRefused() - before);
                LOG.warn("pipeline shutdown: the drain timeout of {} expired; {} item(s) not finished"
                        + " (handed to the drop or failure handler)", timeout, unfinished);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            outcome = clean;
            return clean;
        }
    }

    private long failedOrRefused() {
        long n = 0;
        for (Stage<T> s : stages) {
            StageStats st = s.stats();
            n += st.failed() + st.forwardRefused();
        }
        return n;
    }

    /**
     * Closes every queue, interrupts every worker and hands what is left to the drop handler.
     *
     * @return how many queued items were handed over, and whether this thread was interrupted meanwhile
     */
    private Stopped stopNow() {
        boolean interrupted = false;
        long left = 0;
        for (Stage<T> s : stages) {
            s.queue.close();
            s.threads.forEach(Thread::interrupt);
        }
        for (Stage<T> s : stages) {
            for (Thread t : s.threads) {
                try {
                    t.join(1_000L);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (t.isAlive()) {
                    LOG.warn("pipeline worker {} did not stop after interrupt", t.getName());
                }
            }
            List<Stage.Job<T>> queued = new ArrayList<>();
            s.queue.drainTo(queued, Integer.MAX_VALUE);
            for (Stage.Job<T> job : queued) {
                s.report(dropListener, job, null);
            }
            left += queued.size();
        }
        return new Stopped(left, interrupted);
    }

    private record Stopped(long handedOver, boolean interrupted) {
    }
}
