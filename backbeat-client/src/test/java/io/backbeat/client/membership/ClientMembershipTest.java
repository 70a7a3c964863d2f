package io.backbeat.client.membership;

import io.backbeat.client.BeatClient;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link NatsMembership} on a {@link BeatClient}'s own connection (issue #14): no second connection. */
class ClientMembershipTest {
    private static final Duration HB = Duration.ofMillis(200);

    @TempDir
    Path dir;

    @Test
    void twoClientsSeeEachOtherWithOneConnectionEach() throws Exception {
        Path conf = dir.resolve("accounts.conf");
        Files.writeString(conf, """
                accounts {
                  APP: { users: [ {user: app, password: app-pw} ] }
                  SYS: { users: [ {user: sys, password: sys-pw} ] }
                }
                system_account: SYS
                """);
        try (NatsTestServer nats = NatsTestServer.startWithConfig(conf)) {
            String url = "nats://app:app-pw@127.0.0.1:" + nats.port();
            try (BeatClient a = BeatClient.builder("svc").natsServers(url).agentId("clone-a").build();
                 BeatClient b = BeatClient.builder("svc").natsServers(url).agentId("clone-b").build()) {
                NatsMembership ma = a.membership("pollers", "clone-a", HB, HB.multipliedBy(3));
                NatsMembership mb = b.membership("pollers", "clone-b", HB, HB.multipliedBy(3));
                await().atMost(Duration.ofSeconds(5)).until(() -> ma.view().count() == 2 && mb.view().count() == 2);
                assertThat(ma.view().index()).isZero();
                assertThat(mb.view().index()).isEqualTo(1);
                assertThat(appConnections(nats.port())).as("connections of the two clients and their memberships")
                        .isEqualTo(2);

                a.close(); // closes its membership first: its leave re-slots the other at once
                await().atMost(Duration.ofSeconds(2)).until(() -> mb.view().count() == 1);
                assertThat(mb.view().index()).isZero();
                assertThat(mb.view().members()).containsExactly("clone-b");
            }
        }
    }

    @Test
    void aMembershipMadeWhileTheClientIsStillConnectingJoinsOnceNatsIsUp() throws Exception {
        int port = NatsTestServer.freePort();
        String url = "nats://127.0.0.1:" + port;
        try (BeatClient a = BeatClient.builder("svc").natsServers(url).build();
             BeatClient b = BeatClient.builder("svc").natsServers(url).build()) {
            NatsMembership ma = a.membership("pollers", "clone-a", HB, HB.multipliedBy(3));
            NatsMembership mb = b.membership("pollers", "clone-b", HB, HB.multipliedBy(3));
            Thread.sleep(500);
            assertThat(ma.view().members()).containsExactly("clone-a"); // alone until connected
            try (NatsTestServer nats = NatsTestServer.start(port)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> ma.view().count() == 2 && mb.view().count() == 2);
                assertThat(List.of(ma.view().index(), mb.view().index())).containsExactly(0, 1);
                mb.close(); // a membership closed on its own: the client goes on
                await().atMost(Duration.ofSeconds(2)).until(() -> ma.view().count() == 1);
            }
        }
    }

    /** Client connections of account APP, as the server counts them (its system account's CONNZ). */
    private static int appConnections(int port) throws Exception {
        try (Connection sys = Nats.connect("nats://sys:sys-pw@127.0.0.1:" + port)) {
            Message reply = sys.request("$SYS.REQ.ACCOUNT.APP.CONNZ", "{}".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(5));
            assertThat(reply).as("CONNZ reply").isNotNull();
            String json = new String(reply.getData(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("\"num_connections\"\\s*:\\s*(\\d+)").matcher(json);
            assertThat(m.find()).as("num_connections in %s", json).isTrue();
            return Integer.parseInt(m.group(1));
        }
    }
}
