package io.backbeat.examples;

import io.backbeat.client.BeatClient;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** What every example shares: connecting a client from the common flags and running until told to stop. */
final class ExampleRuntime {
    static final Set<String> COMMON = Set.of("nats", "cluster", "duration", "agent", "grace");

    private ExampleRuntime() {
    }

    /** A client from {@code --nats}, {@code --cluster}, {@code --agent} and {@code --grace} (default: fits the tempo). */
    static BeatClient connect(Args a, String defaultAgent) {
        BeatClient.Builder b = BeatClient.builder(a.get("cluster", "chorus-aus-01"))
                .natsServers(a.get("nats", "nats://127.0.0.1:4222").split(","))
                .agentId(a.get("agent", defaultAgent));
        Duration grace = a.duration("grace", null);
        if (grace != null) {
            b.grace(grace);
        }
        return b.build();
    }

    /** Blocks for {@code --duration} (forever when absent) or until the JVM shuts down. */
    static void runFor(Args a, PrintStream out) throws InterruptedException {
        Duration d = a.duration("duration", null);
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(stop::countDown, "backbeat-example-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (d == null) {
                stop.await();
            } else {
                stop.await(d.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting
            }
            out.flush();
        }
    }
}
