package io.backbeat.pulse.consensus;

import java.time.Duration;

class AtomixConsensusContractTest extends ConsensusContractTest {
    @Override
    Consensus create(ConsensusSettings settings) {
        return new AtomixConsensus(settings);
    }

    @Override
    String backend() {
        return "atomix";
    }

    @Override
    Duration electionBound() {
        return Duration.ofSeconds(90);
    }
}
