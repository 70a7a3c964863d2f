package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.Timeline;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.client.RecordingListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code deploy/nats/permissions.conf} on a real nats-server: the pulse publishes frames and answers
 * timeline requests, a service gets its beat, and a service that tries to publish a frame or to
 * answer timeline requests is refused by the server; without credentials nobody connects.
 */
class NatsPermissionsTest {
    private static final String CLUSTER = "perm";

    private static Options service(NatsTestServer s, List<String> errors) {
        return new Options.Builder().server(s.url()).userInfo("backbeat-service", "change-me-service")
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        errors.add(error);
                    }
                }).build();
    }

    @Test
    void onlyThePulsePublishesFramesAndServicesStillGetTheirBeat() throws Exception {
        try (NatsTestServer server = NatsTestServer.startWithConfig(Path.of("..", "deploy", "nats", "permissions.conf")
                .toAbsolutePath())) {
            PulseConfig cfg = PulseConfig.parse(new String[]{"--cluster", CLUSTER, "--node-id", "p1", "--bootstrap",
                    "--nats", server.url(), "--nats-user", "backbeat-pulse", "--nats-password", "change-me-pulse",
                    "--bpm", "240", "--bar", "4", "--min-bpm", "30", "--max-bpm", "300",
                    "--phases", "plan,execute,review"}, Map.of());
            InMemoryConsensus consensus = new InMemoryConsensus("p1");
            Connection pulseNats = Nats.connectReconnectOnConnect(PulseMain.natsOptions(cfg));
            PulseNode node = new PulseNode(CLUSTER, "p1", consensus, pulseNats,
                    new PulseMetrics(new SimpleMeterRegistry()), cfg.tempoPolicy(), cfg.bpm(), cfg.bar(), cfg.phases(),
                    cfg.grace());
            consensus.set(true, 1, "p1");
            node.start();
            List<String> errors = new CopyOnWriteArrayList<>();
            List<BeatFrame> seen = new CopyOnWriteArrayList<>();
            RecordingListener rec = new RecordingListener();
            try (node; Connection svc = Nats.connect(service(server, errors));
                 Connection watcher = Nats.connect(service(server, new CopyOnWriteArrayList<>()));
                 BeatClient client = BeatClient.builder(CLUSTER).connection(svc).build()) {
                watcher.createDispatcher(m -> seen.add(BackbeatCodec.decodeFrame(m.getData())))
                        .subscribe(ClusterId.beatSubject(CLUSTER));
                watcher.flush(Duration.ofSeconds(5));
                client.addListener(rec);
                await().atMost(Duration.ofSeconds(20)).until(() -> rec.phases().size() >= 6
                        && client.descriptor() != null);

                // a service forging a frame, or posing as a timeline responder: refused by the server
                Timeline t = Timeline.of(consensus.committedTimeline());
                var next = t.following(t.positionAt(System.currentTimeMillis() * 1_000_000L));
                svc.publish(ClusterId.beatSubject(CLUSTER), BackbeatCodec.encodeFrame(
                        BeatFrame.at(t, next, "0190000000000:0:0000", "evil", 99)));
                svc.createDispatcher(m -> { }).subscribe(ClusterId.timelineSubject(CLUSTER));
                svc.flush(Duration.ofSeconds(5));
                await().atMost(Duration.ofSeconds(5)).until(() -> errors.stream()
                        .filter(e -> e.contains("Permissions Violation")).count() >= 2);
                int n = rec.phases().size();
                await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= n + 6);
                System.out.printf("nats permissions: %d frames seen, server refused: %s%n", seen.size(), errors);
                assertThat(seen).noneMatch(f -> f.leaderId().equals("evil"));
                assertThat(errors).anyMatch(e -> e.contains("Publish") && e.contains(".beat"));
                assertThat(errors).anyMatch(e -> e.contains("Subscription") && e.contains(".timeline"));
                assertThat(rec.sequenceProblems(3, true)).isEmpty();
            }
            assertThatThrownBy(() -> Nats.connect(new Options.Builder().server(server.url()).maxReconnects(0).build()))
                    .as("no credentials, no connection").isInstanceOf(Exception.class);
        }
    }
}
