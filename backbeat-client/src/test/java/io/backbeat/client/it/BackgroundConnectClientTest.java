package io.backbeat.client.it;

import io.backbeat.client.BeatClient;
import io.backbeat.client.ConnectionState;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A client built while NATS is down (issue #14): {@code build()} returns at once in
 * {@link ConnectionState#CONNECTING}, the client connects in the background when NATS comes up and
 * goes live; {@code close()} while connecting stops it and leaves no thread behind.
 */
class BackgroundConnectClientTest {

    @Test
    void aClientBuiltBeforeNatsConnectsWhenItComesUpAndDeliversEveryPhaseOnce() throws Exception {
        int port = NatsTestServer.freePort();
        RecordingListener rec = new RecordingListener();
        long t0 = System.nanoTime();
        try (BeatClient client = BeatClient.builder("late-nats").natsServers("nats://127.0.0.1:" + port)
                .grace(Duration.ofMillis(60)).build()) {
            long buildMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(client.state()).isEqualTo(ConnectionState.CONNECTING);
            client.addListener(rec);
            assertThat(client.awaitLive(Duration.ofMillis(1500))).isFalse(); // NATS is down: still connecting
            assertThat(client.state()).isEqualTo(ConnectionState.CONNECTING);
            try (NatsTestServer nats = NatsTestServer.start(port);
                 TestPulse pulse = TestPulse.start(nats.url(), "late-nats", 240)) {
                long up = System.nanoTime();
                assertThat(client.awaitLive(Duration.ofSeconds(10))).isTrue();
                long liveMs = (System.nanoTime() - up) / 1_000_000;
                assertThat(client.descriptor()).isNotNull();
                await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= 24);
                System.out.printf("background connect: build() %d ms, live %d ms after nats-server and pulse were up%n",
                        buildMs, liveMs);
            }
            assertThat(rec.sequenceProblems(3, true)).isEmpty(); // in order, none twice, none skipped
            assertThat(rec.phases()).noneMatch(RecordingListener.Seen::degraded);
            assertThat(client.stats().degradations()).as("the start-up grace counts from the first connection")
                    .isZero();
        }
    }

    @Test
    void closeWhileConnectingReturnsQuicklyAndLeavesNoThread() throws Exception {
        Set<Thread> before = backbeatThreads();
        BeatClient client = BeatClient.builder("never-nats")
                .natsServers("nats://127.0.0.1:" + NatsTestServer.freePort()).build();
        assertThat(client.state()).isEqualTo(ConnectionState.CONNECTING);
        Thread.sleep(600); // a few attempts
        assertThat(backbeatThreads()).extracting(Thread::getName).anyMatch(n -> n.startsWith("backbeat-connect-"));
        long t0 = System.nanoTime();
        client.close();
        long closeMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(client.state()).isEqualTo(ConnectionState.CLOSED);
        assertThat(closeMs).as("close() while connecting").isLessThan(1500);
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(names(backbeatThreads(), before))
                .as("threads of the closed client").isEmpty());
        System.out.printf("close() while connecting: %d ms%n", closeMs);
    }

    @Test
    void failFastConnectThrowsWhenNoServerAnswers() {
        assertThatThrownBy(() -> BeatClient.builder("no-nats").failFastConnect(true)
                .natsServers("nats://127.0.0.1:" + NatsTestServer.freePort()).build())
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot connect to NATS");
    }

    private static Set<Thread> backbeatThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("backbeat-"))
                .collect(Collectors.toSet());
    }

    private static List<String> names(Set<Thread> now, Set<Thread> before) {
        return now.stream().filter(t -> !before.contains(t)).map(Thread::getName).sorted().toList();
    }
}
