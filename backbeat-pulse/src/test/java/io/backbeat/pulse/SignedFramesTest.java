package io.backbeat.pulse;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.SignatureHeader;
import io.backbeat.api.Timeline;
import io.backbeat.api.codec.BackbeatCodec;
import io.backbeat.client.BeatClient;
import io.backbeat.client.DropReason;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.backbeat.pulse.sign.FrameSigner;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.client.RecordingListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Signed frames end to end (PROTOCOL.md "Signed messages"): a pulse node signs with the cluster's
 * NKey, a client that verifies gets every phase, and frames unsigned, signed by another key or
 * altered after signing are dropped as {@link DropReason#SIGNATURE}.
 */
class SignedFramesTest {
    private static final String CLUSTER = "signed";

    @TempDir
    Path dir;

    @Test
    void aVerifyingClientTakesOnlyTheClustersSignedFrames() throws Exception {
        Path seed = dir.resolve("cluster.seed");
        FrameSigner.main(new String[]{seed.toString()});
        FrameSigner signer = FrameSigner.fromSeedFile(seed);
        try (NatsTestServer server = NatsTestServer.start()) {
            PulseConfig cfg = PulseConfig.parse(new String[]{"--cluster", CLUSTER, "--node-id", "s1", "--bootstrap",
                    "--nats", server.url(), "--bpm", "240", "--bar", "4", "--min-bpm", "30", "--max-bpm", "300",
                    "--phases", "plan,execute,review"}, Map.of());
            InMemoryConsensus consensus = new InMemoryConsensus("s1");
            Connection nc = Nats.connectReconnectOnConnect(PulseMain.natsOptions(cfg));
            PulseNode node = new PulseNode(CLUSTER, "s1", consensus, nc, new PulseMetrics(new SimpleMeterRegistry()),
                    cfg.tempoPolicy(), cfg.bpm(), cfg.bar(), cfg.phases(), cfg.grace());
            node.signWith(signer);
            consensus.set(true, 1, "s1");
            node.start();
            RecordingListener rec = new RecordingListener();
            try (node; BeatClient client = BeatClient.builder(CLUSTER).natsServers(server.url())
                    .verifySignatures(signer.publicKey())
                    // a generous grace: a CPU stall of the loaded CI machine must not make the client
                    // derive a phase itself, which the last assertion would (rightly) count against it
                    .grace(Duration.ofSeconds(3)).build();
                 Connection forger = Nats.connect(server.url())) {
                client.addListener(rec);
                await().atMost(Duration.ofSeconds(20)).until(() -> rec.phases().size() >= 6
                        && client.descriptor() != null);
                Timeline t = Timeline.of(consensus.committedTimeline());
                var next = t.following(t.positionAt(System.currentTimeMillis() * 1_000_000L));
                byte[] forged = BackbeatCodec.encodeFrame(BeatFrame.at(t, next, "0190000000000:0:0000", "s1", 1));
                String subject = ClusterId.beatSubject(CLUSTER);
                forger.publish(subject, forged); // unsigned
                NKey other = NKey.createAccount(null);
                Headers wrongKey = new Headers().put(SignatureHeader.SIGNATURE, SignatureHeader.format(other.sign(forged)));
                forger.publish(subject, wrongKey, forged); // signed by another key
                byte[] altered = forged.clone();
                altered[altered.length - 3] ^= 1;
                forger.publish(subject, signer.headers(forged), altered); // the cluster's signature, other bytes
                forger.flush(Duration.ofSeconds(5));
                await().atMost(Duration.ofSeconds(5)).until(() -> client.stats().dropped(DropReason.SIGNATURE) >= 3);
                int n = rec.phases().size();
                await().atMost(Duration.ofSeconds(10)).until(() -> rec.phases().size() >= n + 6);
                System.out.printf("signed frames: %d phases delivered, %d forged frames dropped as SIGNATURE%n",
                        rec.phases().size(), client.stats().dropped(DropReason.SIGNATURE));
                assertThat(client.stats().dropped(DropReason.SIGNATURE)).isEqualTo(3);
                assertThat(rec.sequenceProblems(3, true)).isEmpty();
                // every phase after the forgeries came from a real (signed) frame, none derived locally
                assertThat(rec.phases().subList(n, rec.phases().size())).allMatch(p -> !p.degraded());
            }
            assertThat(Files.readString(seed)).startsWith("SA");
        }
    }
}
