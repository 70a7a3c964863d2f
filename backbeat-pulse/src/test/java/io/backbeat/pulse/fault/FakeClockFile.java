package io.backbeat.pulse.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;

/**
 * A wall clock running at {@code rate} (1.01: 1 % fast) for one process, through libfaketime's
 * {@code FAKETIME_TIMESTAMP_FILE}: a daemon thread rewrites the file every 100 ms with the offset
 * {@code (rate - 1) × time since origin}, and the process re-reads it at most once a second
 * ({@code FAKETIME_CACHE_DURATION=1}; the logged clock samples show a re-read every 1-2 s), so its clock
 * gains {@code (rate - 1)} seconds per second in steps: at 2 % it trails this file's offset by up to 40 ms
 * and then jumps. {@link #restart()} sets the origin to now (call it as the process starts, as libfaketime's
 * own {@code FAKETIME="+0 x1.01"} would count from the process start).
 *
 * <p>Why not {@code FAKETIME="+0 x1.01"} itself: with libfaketime 0.9.10 (Debian 12) and a JVM, a rate
 * breaks timed waits. With {@code FAKETIME_FORCE_MONOTONIC_FIX=0} {@code Thread.sleep(100)} never returns;
 * with the fix, {@code Object.wait(100)} and {@code LockSupport.parkNanos} return at once and sleeps run
 * 20-80 % long. An offset (what this file holds) leaves every wait exact, as in
 * {@code PulseProcessCluster.fakeTime}.
 */
public final class FakeClockFile implements AutoCloseable {
    private final Path file;
    private volatile double rate;
    private volatile double baseSeconds;
    private final Thread writer;
    private volatile long originNanos = System.nanoTime();
    private volatile boolean closed;

    /** Starts writing {@code file} (offset 0 now) for a clock running at {@code rate}. */
    public FakeClockFile(Path file, double rate) {
        this.file = file;
        this.rate = rate;
        write();
        this.writer = new Thread(this::loop, "fake-clock-" + file.getFileName());
        writer.setDaemon(true);
        writer.start();
    }

    /** The environment for the process: libfaketime reading this file, the monotonic clock left alone. */
    public Map<String, String> env() {
        return Map.of("LD_PRELOAD", HostFaults.LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE", file.toString(),
                "FAKETIME_CACHE_DURATION", "1", "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                "FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }

    /** The offset starts again from zero now. */
    public synchronized void restart() {
        originNanos = System.nanoTime();
        baseSeconds = 0;
        write();
    }

    /** From now on the clock runs at {@code newRate}, continuing from the offset it has reached. */
    public synchronized void rate(double newRate) {
        long now = System.nanoTime();
        baseSeconds = offsetSecondsAt(now);
        originNanos = now;
        rate = newRate;
        write();
    }

    /** The offset written last, seconds. */
    public double offsetSeconds() {
        return offsetSecondsAt(System.nanoTime());
    }

    /** The offset the file holds at {@code nanoTime} (this JVM's {@link System#nanoTime}), seconds. */
    public double offsetSecondsAt(long nanoTime) {
        return baseSeconds + (nanoTime - originNanos) / 1e9 * (rate - 1);
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(100);
                write();
            } catch (InterruptedException e) {
                return;
            } catch (UncheckedIOException e) {
                System.err.println("fake clock: " + e.getCause());
            }
        }
    }

    private synchronized void write() {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, String.format(Locale.ROOT, "%+.4f%n", offsetSeconds()));
            // atomic: libfaketime never reads half a line
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
    }
}
