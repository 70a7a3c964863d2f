package io.backbeat.examples;

import io.backbeat.work.OverflowPolicy;
import io.backbeat.work.stages.PipelineSnapshot;
import io.backbeat.work.stages.PipelinedProcessor;
import io.backbeat.work.stages.StageKind;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * "Reds and blues": receive (red) → hash (blue) → dedupe (red: the database) → process (red:
 * the server) → store (red, in bulk). {@code --slow <stage>} makes one stage slow; after
 * {@code --duration} the pipeline's snapshot names its bottleneck.
 */
public final class StagesExample {
    private StagesExample() {
    }

    /** A request moving through the stages. */
    record Req(long id, String body, String hash) {
    }

    static final List<String> STAGES = List.of("receive", "hash", "dedupe", "process", "store");

    /** {@code stages [--slow hash] [--duration 3s]}. */
    public static int run(String[] args, PrintStream out) throws Exception {
        Args a = new Args(args, Set.of("slow", "duration"));
        String slow = a.get("slow", "process");
        if (!STAGES.contains(slow)) {
            throw new Args.BadArgs("--slow: '" + slow + "' is not one of " + STAGES);
        }
        Duration duration = a.duration("duration", Duration.ofSeconds(3));
        Set<String> seen = ConcurrentHashMap.newKeySet();
        // BLOCK: a slow stage pushes back instead of growing a queue; closing stops at once
        PipelinedProcessor<Req> p = PipelinedProcessor.<Req>builder()
                .queues(256, OverflowPolicy.BLOCK, Duration.ofSeconds(1))
                .threadNamePrefix("backbeat-stage")
                .drainTimeout(Duration.ZERO)
                .stage("receive", StageKind.RED, 1, (beat, r) -> work(slow, "receive", r))
                .stage("hash", StageKind.BLUE, 1, (beat, r) -> work(slow, "hash", new Req(r.id(), r.body(), sha(r.body()))))
                .stage("dedupe", StageKind.RED, 1, (beat, r) -> work(slow, "dedupe", seen.add(r.hash()) ? r : null))
                .stage("process", StageKind.RED, 2, (beat, r) -> work(slow, "process", r))
                .stageBatch("store", StageKind.RED, 1, 64, batch -> {
                    work(slow, "store", null); // one round trip per bulk insert
                    return List.of();
                })
                .build();
        long end = System.nanoTime() + duration.toNanos();
        long id = 0;
        try (p) {
            while (System.nanoTime() < end) {
                p.submit(id, new Req(id, "request-" + (id % 5000), null)); // blocks when receive is full
                id++;
                LockSupport.parkNanos(50_000); // ~20k requests/s offered
            }
            PipelineSnapshot s = p.snapshot();
            out.print(s.render());
        }
        return 0;
    }

    private static <T> T work(String slow, String stage, T value) {
        long nanos = stage.equals(slow) ? 2_000_000 : 20_000; // the slow stage costs 100x
        long until = System.nanoTime() + nanos;
        if (stage.equals("hash")) {
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // blue: burns CPU
            }
        } else {
            LockSupport.parkNanos(nanos); // red: waits on IO
        }
        return value;
    }

    private static String sha(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
