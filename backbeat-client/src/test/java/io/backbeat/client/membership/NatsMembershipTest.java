package io.backbeat.client.membership;

import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Membership of clones over a real nats-server. */
class NatsMembershipTest {
    @Test
    void joinsLeavesAndSilentMembersReslotEveryone() throws Exception {
        Duration beat = Duration.ofMillis(500);
        Duration hb = beat.dividedBy(2);
        try (NatsTestServer nats = NatsTestServer.start()) {
            List<Connection> conns = new ArrayList<>();
            List<NatsMembership> members = new ArrayList<>();
            try {
                for (String id : List.of("clone-c", "clone-a", "clone-b")) {
                    Connection c = Nats.connect(nats.url());
                    conns.add(c);
                    members.add(new NatsMembership(c, "svc", "pollers", id, hb, hb.multipliedBy(3)));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> members.stream().allMatch(m -> m.view().count() == 3));
                Set<Integer> indexes = new HashSet<>();
                for (NatsMembership m : members) {
                    indexes.add(m.view().index());
                }
                assertThat(indexes).containsExactlyInAnyOrder(0, 1, 2);
                assertThat(members.get(1).view().index()).isZero(); // clone-a sorts first

                // a clean leave re-slots the others within one beat
                long t0 = System.nanoTime();
                members.get(1).close();
                await().atMost(Duration.ofSeconds(5)).until(() -> members.get(0).view().count() == 2
                        && members.get(2).view().count() == 2);
                long leaveMs = (System.nanoTime() - t0) / 1_000_000;
                assertThat(members.get(2).view().index()).isZero(); // clone-b is first now
                assertThat(members.get(0).view().index()).isEqualTo(1);

                // a member that vanishes without leaving expires
                t0 = System.nanoTime();
                conns.get(2).close(); // clone-b's heartbeats stop
                await().atMost(Duration.ofSeconds(5)).until(() -> members.get(0).view().count() == 1);
                long expiryMs = (System.nanoTime() - t0) / 1_000_000;
                assertThat(members.get(0).view().index()).isZero();
                System.out.printf("membership: leave re-slotted in %d ms, silent member expired in %d ms (heartbeat %d ms)%n",
                        leaveMs, expiryMs, hb.toMillis());
                assertThat(leaveMs).isLessThan(beat.toMillis() * 10);
            } finally {
                members.forEach(NatsMembership::close);
                for (Connection c : conns) {
                    c.close();
                }
            }
        }
    }
}
