package io.backbeat.consensus.atomix;

import io.backbeat.consensus.*;

import java.time.Duration;

class AtomixConsensusContractTest extends ConsensusContractTest {
    @Override
    protected Consensus create(ConsensusSettings settings) {
        return new AtomixConsensus(settings);
    }

    @Override
    protected String backend() {
        return "atomix";
    }

    @Override
    protected Duration electionBound() {
        return Duration.ofSeconds(90);
    }
}
