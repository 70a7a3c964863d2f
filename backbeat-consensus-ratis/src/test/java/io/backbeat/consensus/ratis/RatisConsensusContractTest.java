package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import io.backbeat.api.TimelineDescriptor;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RatisConsensusContractTest extends ConsensusContractTest {
    @Override
    protected Consensus create(ConsensusSettings settings) {
        return new RatisConsensus(settings);
    }

    @Override
    protected String backend() {
        return "ratis";
    }

    @Override
    protected Duration electionBound() {
        return Duration.ofSeconds(30);
    }

    /** Ratis only: a running leader hands leadership over (Raft leadership transfer) and stays a member. */
    @Test
    void aLeaderYieldsToAnotherMemberAndStaysInTheGroup() throws Exception {
        List<Consensus> all = cluster(3);
        Consensus leader = awaitLeader(all, electionBound());
        long term = leader.leadership().term();
        Consensus follower = all.stream().filter(c -> c != leader).findFirst().orElseThrow();
        follower.yieldLeadership(); // not the leader: nothing happens
        assertThat(leader.leadership().leader()).isTrue();
        assertThat(leader.leadership().term()).isEqualTo(term);

        long t0 = System.nanoTime();
        leader.yieldLeadership();
        long yieldMs = (System.nanoTime() - t0) / 1_000_000;
        Consensus next = awaitLeader(all, electionBound());
        System.out.printf("ratis: yieldLeadership returned after %d ms; %s leads in term %d%n", yieldMs,
                next.leadership().nodeId(), next.leadership().term());
        assertThat(next).isNotSameAs(leader);
        assertThat(next.leadership().term()).isGreaterThan(term);
        assertThat(leader.leadership().leader()).isFalse();
        // still a member: it learns the new leader and its writes are forwarded and committed
        await().atMost(Duration.ofSeconds(5)).until(() -> leader.leadership().leaderId()
                .equals(next.leadership().nodeId()));
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(leader.submit(new TimelineCommand.Initialize(init)).get(10, TimeUnit.SECONDS)).isEqualTo(init);
        assertThat(yieldMs).isLessThan(30_000);
    }

    /**
     * Ratis only: a member withdrawn from elections (a node whose clock is off) is not elected while the
     * others hand leadership back and forth, and hand-overs still succeed, though a target may be the
     * withdrawn member; its writes still commit; once it stands again it can lead.
     */
    @Test
    void aWithdrawnMemberIsNotElectedAndCanLeadOnceItStandsAgain() throws Exception {
        List<Consensus> all = cluster(3);
        Consensus first = awaitLeader(all, electionBound());
        Consensus out = all.stream().filter(c -> c != first).findFirst().orElseThrow();
        String outId = out.leadership().nodeId();
        assertThat(out.standForElection(false)).isTrue();
        java.util.concurrent.atomic.AtomicInteger outLed = new java.util.concurrent.atomic.AtomicInteger();
        out.onLeadershipChange(s -> {
            if (s.leader()) {
                outLed.incrementAndGet();
            }
        });
        for (int round = 0; round < 4; round++) {
            Consensus leader = awaitLeader(all, electionBound());
            long term = leader.leadership().term();
            long t0 = System.nanoTime();
            leader.yieldLeadership();
            long yieldMs = (System.nanoTime() - t0) / 1_000_000;
            await().atMost(Duration.ofSeconds(10)).until(() -> all.stream()
                    .anyMatch(c -> c.leadership().leader() && c.leadership().term() > term));
            Consensus next = awaitLeader(all, electionBound());
            System.out.printf("ratis: round %d, %s withdrawn: %s yielded in %d ms to %s (term %d)%n", round, outId,
                    leader.leadership().nodeId(), yieldMs, next.leadership().nodeId(), next.leadership().term());
            assertThat(next).as("round %d", round).isNotSameAs(out).isNotSameAs(leader);
        }
        assertThat(outLed).as("times the withdrawn member led").hasValue(0);
        // an election without a hand-over: the leader goes away; the one member left standing must win
        Consensus gone = awaitLeader(all, electionBound());
        long goneTerm = gone.leadership().term();
        Consensus last = all.stream().filter(c -> c != gone && c != out).findFirst().orElseThrow();
        long t0 = System.nanoTime();
        gone.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> last.leadership().leader() && last.leadership().term() > goneTerm);
        System.out.printf("ratis: %s closed, %s elected after %d ms with %s withdrawn%n", gone.leadership().nodeId(),
                last.leadership().nodeId(), (System.nanoTime() - t0) / 1_000_000, outId);
        assertThat(outLed).as("times the withdrawn member led").hasValue(0);
        List<Consensus> alive = List.of(out, last);
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(out.submit(new TimelineCommand.Initialize(init)).get(10, TimeUnit.SECONDS)).isEqualTo(init);

        assertThat(out.standForElection(true)).isTrue();
        Consensus leader = awaitLeader(alive, electionBound());
        // Ratis may answer the transfer as failed ("the current leader is null") when the target won within
        // the moment the old leader stepped down: what counts is that the member leads
        leader.transferLeadership(outId).handle((v, e) -> null).get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> out.leadership().leader());
    }

    /**
     * Ratis only: a withdrawn member whose election timer fires while no leader is left becomes a candidate
     * that runs no election (Ratis' election pause), and Ratis' resume alone leaves it so; standing again
     * makes it a follower whose timer then runs elections (with a newer log than the others it is the only
     * member that can be elected, so a stranded candidate would leave the cluster without a leader).
     */
    @Test
    void standingAgainRestartsACandidateStrandedByTheElectionPause() throws Exception {
        List<Consensus> all = cluster(3);
        Consensus leader = awaitLeader(all, electionBound());
        RatisConsensus out = (RatisConsensus) all.stream().filter(c -> c != leader).findFirst().orElseThrow();
        assertThat(out.standForElection(false)).isTrue();
        for (Consensus c : all) {
            if (c != out) {
                c.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> out.role() == RaftPeerRole.CANDIDATE);
        Thread.sleep(1500); // several election timeouts: stranded, nothing moves it
        assertThat(out.role()).as("a paused member whose timer fired").isEqualTo(RaftPeerRole.CANDIDATE);
        assertThat(out.standForElection(true)).isTrue();
        // a follower again, whose election timer runs: it then starts elections on its own (alone it cannot
        // win them, and a failed pre-vote makes it a follower again within milliseconds, too briefly to poll)
        assertThat(out.role()).as("right after it stands again").isEqualTo(RaftPeerRole.FOLLOWER);
    }

    /**
     * Ratis only: removing the leader itself, asked at a follower, moves leadership to a remaining member
     * first and then commits (CI once saw the leader refuse its own removal with
     * {@code LeaderSteppingDownException}, and the operator got a 503).
     */
    @Test
    void removingTheLeaderMovesLeadershipAndCommits() throws Exception {
        List<Consensus> all = cluster(3);
        Consensus leader = awaitLeader(all, electionBound());
        String id = leader.leadership().nodeId();
        Consensus follower = all.stream().filter(c -> c != leader).findFirst().orElseThrow();
        follower.removeMember(id).get(30, TimeUnit.SECONDS);
        List<Consensus> rest = all.stream().filter(c -> c != leader).toList();
        Consensus next = awaitLeader(rest, electionBound());
        assertThat(next.members()).extracting(Member::id).doesNotContain(id).hasSize(2);
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        assertThat(follower.submit(new TimelineCommand.Initialize(init)).get(10, TimeUnit.SECONDS)).isEqualTo(init);
    }

    /**
     * An outsider with a plain Ratis client on the Raft port (the group id follows from the cluster id,
     * the peers are public): every command that would take the beat outside policy or halt it is
     * refused on every replica, and the leader's own changes still work.
     */
    @Test
    void commandsFromAPlainRatisClientCannotLeaveThePolicyOrHaltTheBeat() throws Exception {
        List<Consensus> all = cluster(3);
        Consensus leader = awaitLeader(all, electionBound());
        long term = leader.leadership().term();
        String leaderId = leader.leadership().nodeId();
        io.backbeat.api.TempoPolicy policy = io.backbeat.api.TempoPolicy.of(30, 300);
        TimelineDescriptor init = TimelineDescriptor.initial("ratis-test", 0, 120, 4, TimelineDescriptor.DEFAULT_PHASES);
        leader.submit(new TimelineCommand.Initialize(init, policy)).get(10, TimeUnit.SECONDS);
        leader.submit(new TimelineCommand.AssumeLeadership(term, leaderId)).get(10, TimeUnit.SECONDS);
        TimelineDescriptor before = leader.committedTimeline();

        var group = org.apache.ratis.protocol.RaftGroup.valueOf(org.apache.ratis.protocol.RaftGroupId.valueOf(
                        java.util.UUID.nameUUIDFromBytes("backbeat:ratis-test".getBytes(java.nio.charset.StandardCharsets.UTF_8))),
                peers.stream().map(p -> org.apache.ratis.protocol.RaftPeer.newBuilder().setId(p.id())
                        .setAddress(p.host() + ":" + p.port()).build()).toList());
        List<byte[]> attacks = List.of(
                new TimelineCommand.SetPendingTempo(new io.backbeat.api.PendingTempo(2000, 8), 0).encode(),
                new TimelineCommand.SetPendingTempo(new io.backbeat.api.PendingTempo(10, 8), 0).encode(),
                new TimelineCommand.AssumeLeadership(Long.MAX_VALUE, "evil").encode(),
                new TimelineCommand.AssumeLeadership(term, "evil").encode(),
                new TimelineCommand.AssumeLeadership(term, leaderId).encode(), // right names, wrong process
                new byte[]{2, 0, 0},
                new byte[]{99});
        int refused = 0;
        try (org.apache.ratis.client.RaftClient outsider = org.apache.ratis.client.RaftClient.newBuilder()
                .setProperties(new org.apache.ratis.conf.RaftProperties()).setRaftGroup(group).build()) {
            for (byte[] a : attacks) {
                try {
                    var reply = outsider.io().send(org.apache.ratis.protocol.Message.valueOf(
                            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(a)));
                    refused += reply.isSuccess() ? 0 : 1;
                } catch (java.io.IOException e) {
                    refused++; // the leader's StateMachineException, as the client sees it
                }
            }
        }
        System.out.printf("ratis: %d of %d hostile commands refused before the log; %d rejected by the leader's replica%n",
                refused, attacks.size(), leader.rejectedCommands());
        await().atMost(Duration.ofSeconds(5)).until(() -> all.stream()
                .allMatch(c -> before.equals(c.committedTimeline())));
        for (Consensus c : all) {
            TimelineDescriptor d = c.committedTimeline();
            assertThat(d.tempoBpm()).isEqualTo(120);
            assertThat(d.pending()).isNull();
            assertThat(d.term()).isEqualTo(term);
            assertThat(d.leaderId()).isEqualTo(leaderId);
            assertThat(c.committedPolicy()).isEqualTo(policy);
        }
        assertThat(refused).as("every hostile command is refused").isEqualTo(attacks.size());
        assertThat(leader.rejectedCommands()).isGreaterThanOrEqualTo(attacks.size());
        // the leader's own change, within policy, still commits
        TimelineDescriptor after = leader.submit(new TimelineCommand.SetPendingTempo(
                new io.backbeat.api.PendingTempo(126, 8), 0)).get(10, TimeUnit.SECONDS);
        assertThat(after.pending()).isEqualTo(new io.backbeat.api.PendingTempo(126, 8));
    }

    /** {@code --raft-bind 127.0.0.1:PORT} listens on loopback only, not on every interface. */
    @Test
    void theRaftPortIsBoundToTheConfiguredHostOnly() throws Exception {
        List<Consensus> one = cluster(1);
        awaitLeader(one, electionBound());
        int port = peers.get(0).port();
        Process ss = new ProcessBuilder("ss", "-ltnH", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ss.waitFor();
        org.junit.jupiter.api.Assumptions.assumeTrue(ss.exitValue() == 0 && !out.isBlank(), "needs ss (iproute2): " + out);
        System.out.printf("ratis: listening sockets for port %d: %s%n", port, out.trim().replaceAll("\\s+", " "));
        // 127.0.0.1:PORT, or [::ffff:127.0.0.1]:PORT on a dual-stack socket
        assertThat(out).containsPattern("127\\.0\\.0\\.1\\]?:" + port).doesNotContain("*:" + port)
                .doesNotContain("0.0.0.0:" + port).doesNotContain("[::]:" + port);
    }
}
