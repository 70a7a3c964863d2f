package io.backbeat.client.it;

import io.backbeat.api.GridPosition;
import io.backbeat.api.Timeline;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
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

    /**
     * A frame that comes before the timeline reply (the client subscribes as soon as it connects and
     * asks for the timeline at the same time) is delivered with the frame's own term and leader, not
     * with the "no term yet" of an unanswered timeline (CI saw the single example print term=0).
     */
    @Test
    void aFrameBeforeTheTimelineIsDeliveredWithItsOwnTerm() throws Exception {
        try (NatsTestServer nats = NatsTestServer.start();
             TestPulse pulse = TestPulse.start(nats.url(), "early-frame", 240)) {
            pulse.failover(3, "node-c");
            pulse.pause(); // no timeline answers and no frames of its own: only the frames sent below
            List<String> seen = new CopyOnWriteArrayList<>();
            try (BeatClient client = BeatClient.builder("early-frame").natsServers(nats.url()).build()) {
                client.addListener(BeatListener.onPhase((BeatContext ctx) ->
                        seen.add(ctx.term() + "/" + ctx.leaderId())));
                // without a timeline the client stays CONNECTING: frames go out until three are delivered
                Timeline grid = Timeline.of(pulse.descriptor());
                GridPosition pos = grid.nextPhaseAfter(System.currentTimeMillis() * 1_000_000L);
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (seen.size() < 3 && System.nanoTime() < until) {
                    long wait = (pos.phaseStartNanos() - System.currentTimeMillis() * 1_000_000L) / 1_000_000L;
                    Thread.sleep(Math.max(0, wait));
                    pulse.publishRaw(BackbeatCodec.encodeFrame(pulse.frameAt(pos)));
                    pos = grid.following(pos);
                }
                assertThat(seen).as("phases delivered").hasSizeGreaterThanOrEqualTo(3);
                assertThat(client.descriptor()).as("the timeline never answered").isNull();
                assertThat(seen).allMatch("3/node-c"::equals);
            }
        }
    }
}
