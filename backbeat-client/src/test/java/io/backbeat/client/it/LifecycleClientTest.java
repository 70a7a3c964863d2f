package io.backbeat.client.it;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatListener;
import io.backbeat.client.ConnectionState;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The client's lifecycle (issue #14, item 3): explicit states with a listener, {@code awaitLive}, no spurious
 * {@code onDegraded} at start even with a short grace, and a listener added while degraded gets
 * {@code onDegraded} before {@code onRecovered}.
 */
class LifecycleClientTest {

    @Test
    void startsWithoutSpuriousDegradationAndLateListenersSeeConsistentNotices() throws Exception {
        try (NatsTestServer nats = NatsTestServer.start();
             TestPulse pulse = TestPulse.start(nats.url(), "lifecycle", 240)) {
            for (int i = 0; i < 4; i++) {
                try (BeatClient client = BeatClient.builder("lifecycle").natsServers(nats.url())
                        .grace(Duration.ofMillis(100)).build()) {
                    assertThat(client.awaitLive(Duration.ofSeconds(10))).isTrue();
                    assertThat(client.descriptor()).isNotNull();
                    Thread.sleep(300);
                    assertThat(client.stats().degradations()).as("start %d: spurious degradation", i).isZero();
                }
            }
            try (BeatClient client = BeatClient.builder("lifecycle").natsServers(nats.url()).build()) {
                List<ConnectionState> states = new CopyOnWriteArrayList<>();
                client.addStateListener(states::add);
                assertThat(client.awaitLive(Duration.ofSeconds(10))).isTrue();
                pulse.pause();
                await().atMost(Duration.ofSeconds(5)).until(() -> client.state() == ConnectionState.DEGRADED);
                List<String> late = new CopyOnWriteArrayList<>();
                client.addListener(new BeatListener() {
                    @Override
                    public void onDegraded(String reason) {
                        late.add("degraded");
                    }

                    @Override
                    public void onRecovered(Duration correction) {
                        late.add("recovered");
                    }
                });
                pulse.resume();
                assertThat(client.awaitLive(Duration.ofSeconds(10))).isTrue();
                await().atMost(Duration.ofSeconds(5)).until(() -> late.size() >= 2);
                assertThat(late).containsExactly("degraded", "recovered");
                // changes after the listener was added (LIVE may have come before it)
                await().atMost(Duration.ofSeconds(5)).until(() -> states.contains(ConnectionState.DEGRADED)
                        && states.get(states.size() - 1) == ConnectionState.LIVE);
                assertThat(states).containsSubsequence(ConnectionState.DEGRADED, ConnectionState.LIVE);
                for (int i = 1; i < states.size(); i++) {
                    assertThat(states.get(i)).as("a change, not a repeat: %s", states).isNotEqualTo(states.get(i - 1));
                }
            }
        }
    }
}
