package io.backbeat.consensus;

import io.backbeat.api.PendingTempo;
import io.backbeat.api.TimelineDescriptor;
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

/**
 * The contract every {@link Consensus} backend keeps, run against real nodes in one JVM: one leader,
 * replication from any node, failover to a strictly higher term with the state kept, terms never
 * decreasing, single-node bootstrap.
 */
public abstract class ConsensusContractTest {
    /** A node of the backend under test; not started. */
    protected abstract Consensus create(ConsensusSettings settings);

    /** Name printed with the measured figures. */
    protected abstract String backend();

    /** Generous bound for an election (about 10x the figure measured here). */
    protected abstract Duration electionBound();

    @TempDir
    protected Path dir;
    private final List<Consensus> nodes = new ArrayList<>();
    /** The members of the last {@link #cluster}. */
    protected List<ConsensusSettings.Peer> peers = List.of();

    @AfterEach
    void close() {
        nodes.parallelStream().forEach(Consensus::close);
    }

    protected List<Consensus> cluster(int n) throws Exception {
        List<ConsensusSettings.Peer> peers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            peers.add(new ConsensusSettings.Peer("n" + i, "127.0.0.1", freePort()));
        }
        this.peers = List.copyOf(peers);
        for (ConsensusSettings.Peer p : peers) {
            nodes.add(create(new ConsensusSettings("ratis-test", p.id(), p.host(), p.port(),
                    n == 1 ? List.of() : peers, dir.resolve(p.id()))));
        }
        nodes.parallelStream().forEach(c -> {
            try {
                c.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return nodes;
    }

    protected Consensus awaitLeader(List<Consensus> among, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(20))
                .until(() -> among.stream().filter(c -> c.leadership().leader()).count() == 1);
        return among.stream().filter(c -> c.leadership().leader()).findFirst().orElseThrow();
    }

    @Test
    void threeNodesElectReplicateAndFailOver() throws Exception {
        Map<String, List<Long>> termsSeen = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        List<Consensus> all = cluster(3);
        for (Consensus c : all) {
            List<Long> seen = new CopyOnWriteArrayList<>();
            termsSeen.put(c.leadership().nodeId(), seen);
            c.onLeadershipChange(s -> seen.add(s.term()));
        }
        Consensus leader = awaitLeader(all, electionBound());
        long electedMs = (System.nanoTime() - t0) / 1_000_000;
        long term1 = leader.leadership().term();
        await().atMost(Duration.ofSeconds(5)).until(() -> all.stream()
                .allMatch(c -> c.leadership().leaderId().equals(leader.leadership().nodeId())));

        Consensus follower = all.stream().filter(c -> c != leader).findFirst().orElseThrow();
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
        List<Consensus> rest = all.stream().filter(c -> c != leader).toList();
        Consensus next = awaitLeader(rest, electionBound());
        long failoverMs = (System.nanoTime() - killedAt) / 1_000_000;
        assertThat(next.leadership().term()).isGreaterThan(term1);
        assertThat(next.committedTimeline().pending()).isEqualTo(new PendingTempo(126, 8));
        assertThat(leader.leadership().leader()).isFalse();
        for (List<Long> terms : termsSeen.values()) {
            for (int i = 1; i < terms.size(); i++) {
                assertThat(terms.get(i)).isGreaterThanOrEqualTo(terms.get(i - 1));
            }
        }
        System.out.printf("%s: first leader after %d ms, failover %d ms%n", backend(), electedMs, failoverMs);
    }

    @Test
    void singleNodeElectsItselfAndKeepsTheReplicatedTempoPolicy() throws Exception {
        List<Consensus> one = cluster(1);
        Consensus leader = awaitLeader(one, electionBound());
        assertThat(leader.leadership().term()).isPositive();
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        io.backbeat.api.TempoPolicy policy = io.backbeat.api.TempoPolicy.of(30, 300);
        assertThat(leader.submit(new TimelineCommand.Initialize(init, policy)).get(10, TimeUnit.SECONDS)).isEqualTo(init);
        await().atMost(Duration.ofSeconds(5)).until(() -> policy.equals(leader.committedPolicy()));
        // outside the replicated policy: refused, nothing changes
        var tooFast = leader.submit(new TimelineCommand.SetPendingTempo(new PendingTempo(2000, 8), 0));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tooFast.get(10, TimeUnit.SECONDS))
                .hasMessageContaining("2000");
        assertThat(leader.committedTimeline().pending()).isNull();
        assertThat(leader.rejectedCommands()).isPositive();
        assertThat(leader.submit(new TimelineCommand.SetPendingTempo(new PendingTempo(126, 8), 0))
                .get(10, TimeUnit.SECONDS).pending()).isEqualTo(new PendingTempo(126, 8));
    }

    /** A free TCP port on the loopback interface (for a member's consensus server). */
    public static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
