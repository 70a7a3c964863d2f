package io.backbeat.pulse.consensus;

import java.time.Duration;

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
}
