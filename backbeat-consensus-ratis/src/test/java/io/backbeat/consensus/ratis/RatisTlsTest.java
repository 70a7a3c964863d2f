package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Mutual TLS between Ratis members with certificates from {@code scripts/dev-certs.sh}: the members
 * elect and replicate; a client without a certificate, or with one from another CA, cannot submit;
 * a member whose certificate is not trusted cannot join.
 */
class RatisTlsTest {
    @TempDir
    Path dir;
    private final List<RatisConsensus> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.parallelStream().forEach(RatisConsensus::close);
    }

    private void certs(Path out, String... ids) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("..", "scripts", "dev-certs.sh").toString(),
                out.toString()));
        cmd.addAll(List.of(ids));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.waitFor() == 0, () -> "scripts/dev-certs.sh failed (needs openssl): " + log);
    }

    private static ConsensusSettings.Tls tls(Path d, String id) {
        return new ConsensusSettings.Tls(d.resolve(id + ".pem"), d.resolve(id + ".key"), d.resolve("ca.pem"));
    }

    /** A client of the group with the given TLS (or none), one try of 2 s per request. */
    private static RaftClient client(List<ConsensusSettings.Peer> peers, GrpcTlsConfig conf) {
        RaftGroup group = RaftGroup.valueOf(RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
                        "backbeat:tls-test".getBytes(StandardCharsets.UTF_8))),
                peers.stream().map(p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.address()).build()).toList());
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(2, TimeUnit.SECONDS));
        Parameters params = new Parameters();
        if (conf != null) {
            GrpcConfigKeys.TLS.setConf(params, conf);
            GrpcConfigKeys.Client.setTlsConf(params, conf);
        }
        return RaftClient.newBuilder().setProperties(props).setParameters(params).setRaftGroup(group)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(2,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS))).build();
    }

    private static boolean submits(RaftClient c) {
        try {
            return c.io().send(Message.valueOf(ByteString.copyFrom(new TimelineCommand.Initialize(
                    TimelineDescriptor.initial("tls-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES),
                    TempoPolicy.of(30, 300)).encode()))).isSuccess();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void onlyMembersWithTrustedCertificatesJoinOrSubmit() throws Exception {
        Path good = Files.createDirectories(dir.resolve("good"));
        Path rogue = Files.createDirectories(dir.resolve("rogue"));
        certs(good, "n1", "n2", "n3", "client");
        certs(rogue, "n3", "client");
        List<ConsensusSettings.Peer> peers = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            peers.add(new ConsensusSettings.Peer(id, "127.0.0.1", ConsensusContractTest.freePort()));
        }
        for (ConsensusSettings.Peer p : peers) {
            // n3 holds a certificate from another CA: the others must not let it in
            Path certs = p.id().equals("n3") ? rogue : good;
            nodes.add(new RatisConsensus(new ConsensusSettings("tls-test", p.id(), p.host(), p.port(), peers,
                    dir.resolve("data-" + p.id()), tls(certs, p.id()))));
        }
        for (RatisConsensus n : nodes) {
            n.start();
        }
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.subList(0, 2).stream()
                .anyMatch(n -> n.leadership().leader()));
        RatisConsensus leader = nodes.subList(0, 2).stream().filter(n -> n.leadership().leader()).findFirst()
                .orElseThrow();
        System.out.printf("ratis tls: leader %s elected %d ms after start%n", leader.leadership().nodeId(),
                (System.nanoTime() - t0) / 1_000_000);
        TimelineDescriptor init = TimelineDescriptor.initial("tls-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(leader.submit(new TimelineCommand.Initialize(init, TempoPolicy.of(30, 300)))
                .get(10, TimeUnit.SECONDS)).isEqualTo(init);
        await().atMost(Duration.ofSeconds(5)).until(() -> init.equals(nodes.get(0).committedTimeline())
                && init.equals(nodes.get(1).committedTimeline()));

        try (RaftClient plain = client(peers, null);
             RaftClient foreign = client(peers, new GrpcTlsConfig(rogue.resolve("client.key").toFile(),
                     rogue.resolve("client.pem").toFile(), rogue.resolve("ca.pem").toFile(), true));
             RaftClient trusted = client(peers, new GrpcTlsConfig(good.resolve("client.key").toFile(),
                     good.resolve("client.pem").toFile(), good.resolve("ca.pem").toFile(), true))) {
            assertThat(submits(plain)).as("a client without a certificate").isFalse();
            assertThat(submits(foreign)).as("a client with a certificate of another CA").isFalse();
            assertThat(submits(trusted)).as("a client with a trusted certificate").isTrue();
        }
        Thread.sleep(1000);
        assertThat(nodes.get(2).committedTimeline()).as("the untrusted member never received the log").isNull();
        assertThat(nodes.get(2).leadership().leader()).isFalse();
    }
}
