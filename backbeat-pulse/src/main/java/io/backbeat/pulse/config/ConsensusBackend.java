package io.backbeat.pulse.config;

import io.backbeat.consensus.Consensus;
import io.backbeat.consensus.ConsensusSettings;
import io.backbeat.consensus.atomix.AtomixConsensus;
import io.backbeat.consensus.ratis.RatisConsensus;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The consensus backends a pulse node can run on ({@code --consensus}). */
public enum ConsensusBackend {
    /** Apache Ratis (the default): membership changes, snapshots, mutual TLS, leader lease. */
    RATIS,
    /** Atomix 3.1: fixed membership, no TLS, slower failover (see docs/operations.md). */
    ATOMIX;

    /** The flag's spelling: {@code ratis}, {@code atomix}. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The backend a flag value names (case-insensitive).
     *
     * @throws ConfigException naming {@code --consensus} for anything else
     */
    public static ConsensusBackend parse(String value) {
        for (ConsensusBackend b : values()) {
            if (b.flagValue().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return b;
            }
        }
        throw new ConfigException("consensus", "'" + value + "' is not a backend (choose "
                + Arrays.stream(values()).map(ConsensusBackend::flagValue).collect(Collectors.joining(" or ")) + ")");
    }

    /** A (not yet started) consensus node of this backend. */
    public Consensus create(ConsensusSettings settings) {
        return switch (this) {
            case RATIS -> new RatisConsensus(settings);
            case ATOMIX -> new AtomixConsensus(settings);
        };
    }

    @Override
    public String toString() {
        return flagValue();
    }
}
