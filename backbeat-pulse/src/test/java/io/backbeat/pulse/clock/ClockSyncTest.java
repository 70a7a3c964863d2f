package io.backbeat.pulse.clock;

import io.backbeat.api.EpochClock;
import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three clock syncs on a real nats-server, one node 2 s ahead, one 300 ms behind, one true: each
 * reports its own skew against the cluster median, and malformed traffic is counted and harmless.
 */
class ClockSyncTest {
    private static final String CLUSTER = "clock-test";
    private static final String SUBJECT = "backbeat." + CLUSTER + ".clock";
    private static final long MS = 1_000_000L;
    private static final long TOLERANCE = 20 * MS;
    private static final EpochClock SYSTEM = EpochClock.system();

    private record Node(String id, long skewNanos, ClockSync sync) {
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Connection connect(NatsTestServer server) throws Exception {
        Connection c = Nats.connect(server.url());
        toClose.add(c::close);
        return c;
    }

    private Node node(NatsTestServer server, String id, long skewNanos) throws Exception {
        EpochClock skewed = () -> SYSTEM.epochNanos() + skewNanos;
        ClockSync sync = new ClockSync(connect(server), CLUSTER, id, skewed, Duration.ofMillis(100));
        toClose.add(sync);
        return new Node(id, skewNanos, sync.start());
    }

    private static void assertAccurate(List<Node> nodes) {
        for (Node n : nodes) {
            assertThat(n.sync().peersHeard()).as("%s hears both peers", n.id()).isEqualTo(2);
            assertThat(n.sync().offsetNanos()).as("%s offset", n.id()).isPresent();
            assertThat(n.sync().offsetNanos().getAsLong()).as("%s: this node minus the cluster median", n.id())
                    .isBetween(n.skewNanos() - TOLERANCE, n.skewNanos() + TOLERANCE);
        }
    }

    private static void print(String when, List<Node> nodes) {
        for (Node n : nodes) {
            long off = n.sync().offsetNanos().orElseThrow();
            System.out.printf("clock %s: %-8s skew %+7.1f ms, measured %+10.4f ms, error %+8.1f us, %d samples, "
                            + "%d malformed, peers %s%n", when, n.id(), n.skewNanos() / 1e6, off / 1e6,
                    (off - n.skewNanos()) / 1e3, n.sync().samples(), n.sync().malformed(), peers(n.sync()));
        }
    }

    /** Each peer's offset and the round trip of the sample behind it, in ms. */
    private static String peers(ClockSync sync) {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(sync.peerOffsets()).forEach((peer, off) -> b.append(String.format("%s %+.4f ms (rtt %.3f ms) ",
                peer, off / 1e6, sync.peerRttNanos(peer).orElse(-1) / 1e6)));
        return b.toString().trim();
    }

    @Test
    void skewedNodesSeeTheirOwnSkewAgainstTheMedianAndMalformedTrafficIsCountedAndHarmless() throws Exception {
        NatsTestServer server = NatsTestServer.start();
        toClose.add(server);
        List<Node> nodes = List.of(node(server, "n-ahead", 2_000 * MS), node(server, "n-behind", -300 * MS),
                node(server, "n-true", 0));

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> assertAccurate(nodes));
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .contains("backbeat-clock-n-ahead", "backbeat-clock-n-behind", "backbeat-clock-n-true");
        Thread.sleep(1000); // let each window fill (8 samples at 100 ms) before taking the figures
        print("converged", nodes);
        // the peers a trusted clock sees off the bound (a hand-over tries them last); a skewed clock names none
        // (at 500 ms n-true and n-behind agree, a majority)
        assertThat(nodes.get(2).sync().peersOff(500 * MS, 3)).containsExactly("n-ahead");
        assertThat(nodes.get(1).sync().peersOff(500 * MS, 3)).containsExactly("n-ahead");
        assertThat(nodes.get(0).sync().peersOff(500 * MS, 3)).isEmpty();
        assertThat(nodes.get(2).sync().peersOff(3_000 * MS, 3)).isEmpty();

        // a raw client: a valid probe from "n-true" is answered by the two others only
        Connection raw = connect(server);
        List<String> responders = new CopyOnWriteArrayList<>();
        String inbox = raw.createInbox();
        Dispatcher replies = raw.createDispatcher(m -> {
            ClockWire.Reply r = ClockWire.decodeReply(m.getData());
            responders.add(r == null ? "malformed" : r.nodeId());
        });
        replies.subscribe(inbox);
        raw.flush(Duration.ofSeconds(5));
        raw.publish(SUBJECT, inbox, ClockWire.probe(ClockWire.nodeIdBytes("n-true"), SYSTEM.epochNanos()));
        await().atMost(Duration.ofSeconds(5)).until(() -> responders.size() >= 2);
        Thread.sleep(200);
        assertThat(responders).as("a node does not answer probes carrying its own id")
                .containsExactlyInAnyOrder("n-ahead", "n-behind");

        // malformed probes: garbage, and a valid probe without a reply subject
        raw.publish(SUBJECT, inbox, "{not a probe".getBytes(StandardCharsets.UTF_8));
        raw.publish(SUBJECT, ClockWire.probe(ClockWire.nodeIdBytes("intruder"), SYSTEM.epochNanos()));
        // malformed replies: garbage and a t0 that is not the probe's, to the real probes of all three nodes
        Dispatcher liar = raw.createDispatcher(m -> {
            if (m.getReplyTo() != null) {
                raw.publish(m.getReplyTo(), new byte[]{1, 'R', 0});
                raw.publish(m.getReplyTo(), ClockWire.reply(ClockWire.nodeIdBytes("liar"), 42, 1, 2));
            }
        });
        liar.subscribe(SUBJECT);
        raw.flush(Duration.ofSeconds(5));
        Thread.sleep(500);
        raw.closeDispatcher(liar);
        raw.flush(Duration.ofSeconds(5));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            for (Node n : nodes) {
                // 2 bad probes + 2 bad replies to each of its ~5 probes while the liar listened
                assertThat(n.sync().malformed()).as("%s malformed", n.id()).isGreaterThanOrEqualTo(2 + 2 * 3);
            }
        });
        Map<String, Long> samplesBefore = new java.util.HashMap<>();
        nodes.forEach(n -> samplesBefore.put(n.id(), n.sync().samples()));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            for (Node n : nodes) {
                assertThat(n.sync().samples()).as("%s keeps measuring", n.id()).isGreaterThan(samplesBefore.get(n.id()) + 6);
                assertThat(n.sync().peerOffsets()).as("the liar is never a peer").doesNotContainKey("liar");
            }
            assertAccurate(nodes);
        });
        print("after malformed traffic", nodes);

        for (Node n : nodes) {
            n.sync().close();
        }
        await().atMost(Duration.ofSeconds(2)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("backbeat-clock-")));
    }

    @Test
    void repliesTellTheRespondersLastLogEntryAndOnlyPeersHeardRecentlyAreListed() throws Exception {
        try (NatsTestServer server = NatsTestServer.start()) {
            java.util.concurrent.atomic.AtomicReference<java.util.Optional<io.backbeat.consensus.LogPosition>> bLog =
                    new java.util.concurrent.atomic.AtomicReference<>(
                            java.util.Optional.of(new io.backbeat.consensus.LogPosition(3, 17)));
            ClockSync a = new ClockSync(connect(server), CLUSTER, "a", SYSTEM, Duration.ofMillis(100));
            ClockSync b = new ClockSync(connect(server), CLUSTER, "b", SYSTEM, Duration.ofMillis(100))
                    .advertiseLogPosition(bLog::get);
            ClockSync c = new ClockSync(connect(server), CLUSTER, "c", SYSTEM, Duration.ofMillis(100)); // tells none
            toClose.add(a);
            toClose.add(b);
            toClose.add(c);
            a.start();
            b.start();
            c.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> a.peersHeard() == 2);
            assertThat(a.peerLogPositions(1_000 * MS)).containsExactly(
                    Map.entry("b", new io.backbeat.consensus.LogPosition(3, 17)));
            bLog.set(java.util.Optional.of(new io.backbeat.consensus.LogPosition(4, 2)));
            await().atMost(Duration.ofSeconds(5)).until(() -> new io.backbeat.consensus.LogPosition(4, 2)
                    .equals(a.peerLogPositions(1_000 * MS).get("b")));
            assertThat(new io.backbeat.consensus.LogPosition(3, 17).isBehind(new io.backbeat.consensus.LogPosition(4, 2)))
                    .as("ordered by term first").isTrue();
            b.close(); // b falls silent: after a second it is no longer listed
            await().atMost(Duration.ofSeconds(5)).until(() -> a.peerLogPositions(1_000 * MS).isEmpty());
            assertThat(a.malformed()).isZero();
        }
    }

    @Test
    void aReplyWithALogPositionRoundTripsAndANegativeOneIsRefused() {
        byte[] id = ClockWire.nodeIdBytes("n2");
        ClockWire.Reply r = ClockWire.decodeReply(ClockWire.reply(id, 1, 2, 3,
                new io.backbeat.consensus.LogPosition(5, 99)));
        assertThat(r).isEqualTo(new ClockWire.Reply("n2", 1, 2, 3, new io.backbeat.consensus.LogPosition(5, 99)));
        assertThat(ClockWire.decodeReply(ClockWire.reply(id, 1, 2, 3)).log()).isNull();
        byte[] bad = ClockWire.reply(id, 1, 2, 3, new io.backbeat.consensus.LogPosition(5, 99));
        bad[26] = (byte) 0x80; // term < 0
        assertThat(ClockWire.decodeReply(bad)).isNull();
        assertThat(ClockWire.decodeReply(new byte[]{1, 'S', 0})).isNull();
    }
}
