package io.backbeat.client.it;

import io.backbeat.client.BeatClient;
import io.backbeat.client.ConnectionState;
import io.backbeat.nats.NatsConnectionSettings;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A client on a NATS server that requires credentials, through the same
 * {@link NatsConnectionSettings} the pulse uses: the right user and password get the beat, a wrong
 * password fails {@code build()} with a message naming the servers when connecting fails fast (by
 * default the client keeps connecting and never goes live), and the settings never print
 * the password.
 */
class NatsAuthClientTest {
    @TempDir
    Path dir;

    @Test
    void aClientWithCredentialsGetsTheBeatAndAWrongPasswordIsRefused() throws Exception {
        Path conf = dir.resolve("auth.conf");
        Files.writeString(conf, """
                authorization {
                  users = [
                    {user: pulse, password: pulse-pw}
                    {user: svc, password: svc-s3cret}
                  ]
                }
                """);
        try (NatsTestServer nats = NatsTestServer.startWithConfig(conf);
             TestPulse pulse = TestPulse.start("nats://pulse:pulse-pw@127.0.0.1:" + nats.port(), "auth-it", 240)) {
            NatsConnectionSettings good = NatsConnectionSettings.builder(nats.url()).userInfo("svc", "svc-s3cret").build();
            assertThat(good.toString()).doesNotContain("svc-s3cret").contains("password=***", "user=svc");
            RecordingListener rec = new RecordingListener();
            try (BeatClient client = BeatClient.builder("auth-it").nats(good).build()) {
                client.addListener(rec);
                await().atMost(Duration.ofSeconds(15)).until(() -> rec.phases().size() >= 6);
            }
            assertThat(rec.sequenceProblems(3, true)).isEmpty();

            NatsConnectionSettings bad = good.toBuilder().userInfo("svc", "wrong").build();
            assertThatThrownBy(() -> BeatClient.builder("auth-it").nats(bad).failFastConnect(true).build())
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining(nats.url());
            // by default build() returns and the client keeps trying: it never goes live with a wrong password
            try (BeatClient refused = BeatClient.builder("auth-it").nats(bad).build()) {
                assertThat(refused.awaitLive(Duration.ofSeconds(1))).isFalse();
                assertThat(refused.state()).isEqualTo(ConnectionState.CONNECTING);
            }
        }
    }
}
