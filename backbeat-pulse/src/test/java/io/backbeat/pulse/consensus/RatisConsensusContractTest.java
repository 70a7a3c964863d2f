package io.backbeat.pulse.consensus;

import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RatisConsensusContractTest extends ConsensusContractTest {
    @Override
    Consensus create(ConsensusSettings settings) {
        return new RatisConsensus(settings);
    }

    @Override
    String backend() {
        return "ratis";
    }

    @Override
    Duration electionBound() {
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
}
