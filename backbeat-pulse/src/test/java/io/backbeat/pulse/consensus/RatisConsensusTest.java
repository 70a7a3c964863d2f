package io.backbeat.pulse.consensus;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.testkit.NatsTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Three real Ratis nodes in one JVM. */
class RatisConsensusTest {
    @TempDir
    Path dir;
    private final List<RatisConsensus> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.forEach(RatisConsensus::close);
    }

    private List<RatisConsensus> cluster(int n) throws Exception {
        List<ConsensusSettings.Peer> peers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            peers.add(new ConsensusSettings.Peer("n" + i, "127.0.0.1", NatsTestServer.freePort()));
        }
        for (ConsensusSettings.Peer p : peers) {
            RatisConsensus c = new RatisConsensus(new ConsensusSettings("ratis-test", p.id(), p.host(), p.port(),
                    n == 1 ? List.of() : peers, dir.resolve(p.id())));
            nodes.add(c);
        }
        for (RatisConsensus c : nodes) {
            c.start();
        }
        return nodes;
    }

    private RatisConsensus awaitLeader(List<RatisConsensus> among, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(20))
                .until(() -> among.stream().filter(c -> c.leadership().leader()).count() == 1);
        return among.stream().filter(c -> c.leadership().leader()).findFirst().orElseThrow();
    }

    @Test
    void threeNodesElectReplicateAndFailOver() throws Exception {
        Map<String, List<Long>> termsSeen = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        List<RatisConsensus> all = cluster(3);
        for (RatisConsensus c : all) {
            List<Long> seen = new CopyOnWriteArrayList<>();
            termsSeen.put(c.leadership().nodeId(), seen);
            c.onLeadershipChange(s -> seen.add(s.term()));
        }
        RatisConsensus leader = awaitLeader(all, Duration.ofSeconds(30));
        long electedMs = (System.nanoTime() - t0) / 1_000_000;
        long term1 = leader.leadership().term();
        await().atMost(Duration.ofSeconds(5)).until(() -> all.stream()
                .allMatch(c -> c.leadership().leaderId().equals(leader.leadership().nodeId())));

        RatisConsensus follower = all.stream().filter(c -> c != leader).findFirst().orElseThrow();
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 1_000_000_000L, 120, 4,
                TimelineDescriptor.DEFAULT_PHASES);
        TimelineDescriptor applied = follower.submit(new TimelineCommand.Initialize(init)).get(10, TimeUnit.SECONDS);
        assertThat(applied).isEqualTo(init);
        TimelineDescriptor again = leader.submit(new TimelineCommand.Initialize(
                TimelineDescriptor.initial("ratis-test", 5, 60, 4, TimelineDescriptor.DEFAULT_PHASES)))
                .get(10, TimeUnit.SECONDS);
        assertThat(again).isEqualTo(init);
        leader.submit(new TimelineCommand.AssumeLeadership(term1, leader.leadership().nodeId())).get(10, TimeUnit.SECONDS);
        leader.submit(new TimelineCommand.SetPendingTempo(new PendingTempo(126, 8), 1_000_000_000L))
                .get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> all.stream()
                .allMatch(c -> c.committedTimeline() != null && c.committedTimeline().pending() != null));

        long killedAt = System.nanoTime();
        leader.close();
        List<RatisConsensus> rest = all.stream().filter(c -> c != leader).toList();
        RatisConsensus next = awaitLeader(rest, Duration.ofSeconds(30));
        long failoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertThat(next.leadership().term()).isGreaterThan(term1);
        assertThat(next.committedTimeline().pending()).isEqualTo(new PendingTempo(126, 8));
        assertThat(leader.leadership().leader()).isFalse();
        for (List<Long> terms : termsSeen.values()) {
            for (int i = 1; i < terms.size(); i++) {
                assertThat(terms.get(i)).isGreaterThanOrEqualTo(terms.get(i - 1));
            }
        }
        System.out.printf("ratis: first leader after %d ms, failover %d ms%n", electedMs, failoverMs);
    }

    @Test
    void singleNodeElectsItself() throws Exception {
        List<RatisConsensus> one = cluster(1);
        RatisConsensus leader = awaitLeader(one, Duration.ofSeconds(30));
        assertThat(leader.leadership().term()).isPositive();
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(leader.submit(new TimelineCommand.Initialize(init)).get(10, TimeUnit.SECONDS)).isEqualTo(init);
    }
}
