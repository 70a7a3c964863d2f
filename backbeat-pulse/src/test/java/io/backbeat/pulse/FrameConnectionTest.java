package io.backbeat.pulse;

import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The frame connection against a real nats-server: PUB and HPUB arrive as sent, the server's PINGs
 * are answered, a restart or reset reconnects, and token and nkey auth work as the node's options
 * say (a refusal shows in its status).
 */
class FrameConnectionTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void publishAndReceive(FrameConnection fc, Connection sub, String subject, String body)
            throws Exception {
        Subscription s = sub.subscribe(subject);
        sub.flush(Duration.ofSeconds(2));
        fc.write(FrameConnection.wire(subject, null, bytes(body)));
        Message m = s.nextMessage(Duration.ofSeconds(2));
        assertThat(m).as("a PUB on %s arrives", subject).isNotNull();
        assertThat(new String(m.getData(), StandardCharsets.UTF_8)).isEqualTo(body);
        s.unsubscribe();
    }

    @Test
    void framesWithAndWithoutHeadersArriveAsSent() throws Exception {
        try (NatsTestServer server = NatsTestServer.start();
             Connection sub = Nats.connect(server.url())) {
            Options opts = new Options.Builder().server(server.url()).build();
            try (FrameConnection fc = new FrameConnection(opts, () -> server.url(), "t1")) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as(fc.status()).isTrue();
                assertThat(fc.status()).startsWith("CONNECTED to ");
                publishAndReceive(fc, sub, "bb.t.beat", "{\"beat\":1}");

                Subscription s = sub.subscribe("bb.t.signed");
                sub.flush(Duration.ofSeconds(2));
                Headers h = new Headers().add("Backbeat-Sig", "abc123").add("Backbeat-Key", "k1");
                fc.write(FrameConnection.wire("bb.t.signed", h, bytes("payload é")));
                Message m = s.nextMessage(Duration.ofSeconds(2));
                assertThat(m).isNotNull();
                assertThat(m.getHeaders().getFirst("Backbeat-Sig")).isEqualTo("abc123");
                assertThat(m.getHeaders().getFirst("Backbeat-Key")).isEqualTo("k1");
                assertThat(new String(m.getData(), StandardCharsets.UTF_8)).isEqualTo("payload é");
            }
        }
    }

    @Test
    void theServersPingsAreAnsweredSoTheConnectionStaysUp() throws Exception {
        Path conf = dir.resolve("ping.conf");
        Files.writeString(conf, "ping_interval: \"100ms\"\nping_max: 2\n");
        try (NatsTestServer server = NatsTestServer.startWithConfig(conf);
             Connection sub = Nats.connect(server.url())) {
            Options opts = new Options.Builder().server(server.url()).build();
            try (FrameConnection fc = new FrameConnection(opts, () -> null, "t2")) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as(fc.status()).isTrue();
                Thread.sleep(1500); // 15 server pings; two unanswered would close the connection
                assertThat(fc.connected()).as(fc.status()).isTrue();
                assertThat(fc.connects()).isEqualTo(1);
                publishAndReceive(fc, sub, "bb.t.after-pings", "still here");
            }
        }
    }

    @Test
    void aServerRestartOrAResetReconnectsAndAWriteWhileDownIsRefused() throws Exception {
        try (NatsTestServer server = NatsTestServer.start()) {
            Options opts = new Options.Builder().server(server.url()).reconnectWait(Duration.ofMillis(100)).build();
            try (FrameConnection fc = new FrameConnection(opts, () -> server.url(), "t3")) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).isTrue();
                server.stop();
                await().atMost(Duration.ofSeconds(5)).until(() -> !fc.connected());
                assertThat(fc.status()).startsWith("DISCONNECTED");
                assertThatThrownBy(() -> fc.write(FrameConnection.wire("bb.t.beat", null, bytes("x"))))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("DISCONNECTED");
                server.restart();
                await().atMost(Duration.ofSeconds(10)).until(fc::connected);
                assertThat(fc.connects()).isEqualTo(2);
                try (Connection sub = Nats.connect(server.url())) {
                    publishAndReceive(fc, sub, "bb.t.beat", "after restart");
                    fc.reset("test");
                    assertThat(fc.connected()).isFalse();
                    await().atMost(Duration.ofSeconds(5)).until(fc::connected);
                    assertThat(fc.connects()).isEqualTo(3);
                    publishAndReceive(fc, sub, "bb.t.beat", "after reset");
                }
            }
        }
    }

    @Test
    void tokenAuthIsSentAndARefusalShowsInTheStatus() throws Exception {
        Path conf = dir.resolve("token.conf");
        Files.writeString(conf, "authorization { token: \"s3cret\" }\n");
        try (NatsTestServer server = NatsTestServer.startWithConfig(conf)) {
            Options good = new Options.Builder().server(server.url()).token("s3cret".toCharArray()).build();
            try (FrameConnection fc = new FrameConnection(good, () -> null, "t4");
                 Connection sub = Nats.connect(good)) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as(fc.status()).isTrue();
                publishAndReceive(fc, sub, "bb.t.beat", "with token");
            }
            Options bad = new Options.Builder().server(server.url()).token("wrong".toCharArray()).build();
            try (FrameConnection fc = new FrameConnection(bad, () -> null, "t5")) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).isFalse();
                assertThat(fc.status()).contains("refused").containsIgnoringCase("authorization");
            }
        }
    }

    @Test
    void nkeyAuthSignsTheServersNonce() throws Exception {
        NKey user = NKey.createUser(null);
        String pub = new String(user.getPublicKey());
        Path conf = dir.resolve("nkey.conf");
        Files.writeString(conf, "authorization { users = [ { nkey: \"" + pub + "\" } ] }\n");
        try (NatsTestServer server = NatsTestServer.startWithConfig(conf)) {
            Options opts = new Options.Builder().server(server.url())
                    .authHandler(Nats.staticCredentials(null, user.getSeed())).build();
            try (FrameConnection fc = new FrameConnection(opts, () -> null, "t6");
                 Connection sub = Nats.connect(opts)) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as(fc.status()).isTrue();
                publishAndReceive(fc, sub, "bb.t.beat", "with nkey");
            }
        }
    }

    @Test
    void mutualTlsIsUpgradedToWhenTheServerRequiresIt() throws Exception {
        Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "dev-certs.sh").toString(), dir.toString(),
                "nats", "pulse").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, () -> "dev-certs.sh needs openssl: " + log);
        Process k = new ProcessBuilder("openssl", "pkcs12", "-export", "-in", dir.resolve("pulse.pem").toString(),
                "-inkey", dir.resolve("pulse.key").toString(), "-out", dir.resolve("pulse.p12").toString(),
                "-passout", "pass:changeit").redirectErrorStream(true).start();
        String klog = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(k.waitFor()).as(klog).isZero();
        Path conf = dir.resolve("tls.conf");
        Files.writeString(conf, "tls { cert_file: \"" + dir.resolve("nats.pem") + "\", key_file: \""
                + dir.resolve("nats.key") + "\", ca_file: \"" + dir.resolve("ca.pem") + "\", verify: true }\n");
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(dir.resolve("ca.pem"))) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        Path store = dir.resolve("trust.p12");
        try (var out = Files.newOutputStream(store)) {
            trust.store(out, "changeit".toCharArray());
        }
        try (NatsTestServer server = NatsTestServer.startWithConfig(conf)) {
            Options opts = io.backbeat.nats.NatsConnectionSettings.builder(server.url()).trustStore(store, "changeit")
                    .keyStore(dir.resolve("pulse.p12"), "changeit").build().toOptions(null);
            try (FrameConnection fc = new FrameConnection(opts, () -> null, "t7");
                 Connection sub = Nats.connect(opts)) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as(fc.status()).isTrue();
                publishAndReceive(fc, sub, "bb.t.beat", "over tls");
            }
            Options noClientCert = io.backbeat.nats.NatsConnectionSettings.builder(server.url())
                    .trustStore(store, "changeit").build().toOptions(null);
            try (FrameConnection fc = new FrameConnection(noClientCert, () -> null, "t8")) {
                fc.start(Duration.ofSeconds(5));
                assertThat(fc.connected()).as("without a client certificate: %s", fc.status()).isFalse();
            }
        }
    }
}
