package io.backbeat.consensus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Whether a data directory can still be written: every second a daemon thread writes, syncs and
 * deletes a small file there and reads the usable space. Raft libraries report a failed log write
 * only in their own logs (and a preallocated log segment hides a full disk for a while); this gives
 * the node a reason a person can act on ("No space left on device") and lets a leader hand over
 * before a commit fails.
 */
public final class StorageProbe implements AutoCloseable {
    /** Less usable space than this is a problem before any write fails. */
    static final long MIN_FREE_BYTES = 1L << 20;

    private final Path dir;
    private final Thread thread;
    private volatile boolean closed;
    private volatile String problem;

    public StorageProbe(Path dir, String nodeId) {
        this.dir = dir;
        this.thread = new Thread(this::run, "backbeat-storage-" + nodeId);
        this.thread.setDaemon(true);
    }

    public StorageProbe start() {
        check();
        thread.start();
        return this;
    }

    /** Why the data dir cannot be written, or null. */
    public String problem() {
        return problem;
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    void check() {
        Path probe = dir.resolve(".backbeat-write-probe");
        try {
            long free = Files.getFileStore(dir).getUsableSpace();
            Files.write(probe, new byte[4096], StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            Files.deleteIfExists(probe);
            problem = free < MIN_FREE_BYTES ? "disk full: the data dir " + dir + " has only " + free / 1024
                    + " KiB free" : null;
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // the message below says what is wrong
            }
            problem = "cannot write the consensus log in " + dir + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
