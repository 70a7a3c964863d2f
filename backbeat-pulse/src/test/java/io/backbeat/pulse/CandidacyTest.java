package io.backbeat.pulse;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Candidacy} on a test clock: when a node withdraws from elections and when it stands again. */
class CandidacyTest {
    private static final long MS = 1_000_000L;
    private final InMemoryConsensus consensus = new InMemoryConsensus("n1");
    private final AtomicReference<String> problem = new AtomicReference<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong silence = new java.util.concurrent.atomic.AtomicLong(-1);
    private final AtomicReference<String> needed = new AtomicReference<>(
            "n2 answers with an older log (term 1, index 8 < term 1, index 10)");
    private final Candidacy candidacy = new Candidacy("n1", consensus, problem::get, events::add, t -> silence.get(),
            needed::get);

    @Test
    void aTrustedNodeStandsAndIsNeverAskedAnything() {
        for (long t = 0; t < 10_000 * MS; t += 100 * MS) {
            candidacy.tick(t);
        }
        assertThat(candidacy.standing()).isTrue();
        assertThat(consensus.candidacyCalls()).isEmpty();
        assertThat(events).isEmpty();
    }

    @Test
    void aSkewedNodeWithdrawsAtOnceAndStandsAgainOnlyAfterTwoQuietSeconds() {
        candidacy.tick(0);
        problem.set("clock offset +2000.0 ms to the cluster exceeds the bound of 100 ms");
        candidacy.tick(100 * MS);
        assertThat(candidacy.standing()).isFalse();
        assertThat(consensus.candidacyCalls()).containsExactly(false);
        assertThat(events).singleElement().asString().startsWith("withdraws from elections: clock offset +2000.0 ms");
        candidacy.tick(200 * MS); // still skewed: asked once only
        assertThat(consensus.candidacyCalls()).containsExactly(false);

        problem.set(null);
        candidacy.tick(300 * MS);
        candidacy.tick(1_500 * MS);
        problem.set("clock offset +101.0 ms to the cluster exceeds the bound of 100 ms"); // a flicker: start again
        candidacy.tick(1_600 * MS);
        problem.set(null);
        candidacy.tick(1_700 * MS);
        candidacy.tick(3_600 * MS);
        assertThat(candidacy.standing()).as("1.9 s since the last flicker").isFalse();
        candidacy.tick(3_700 * MS);
        assertThat(candidacy.standing()).isTrue();
        assertThat(consensus.candidacyCalls()).containsExactly(false, true);
        assertThat(events).hasSize(2).last().asString().startsWith("stands for election again");
    }

    @Test
    void aFailedWithdrawalIsRetriedAfterASecondAndChangesNothingMeanwhile() {
        consensus.failCandidacy(new IllegalStateException("Ratis busy"));
        problem.set("clock offset -300.0 ms to the cluster exceeds the bound of 100 ms");
        candidacy.tick(0);
        assertThat(candidacy.standing()).isTrue();
        consensus.failCandidacy(null);
        candidacy.tick(500 * MS);
        assertThat(consensus.candidacyCalls()).as("backing off").isEmpty();
        candidacy.tick(1_000 * MS);
        assertThat(candidacy.standing()).isFalse();
        assertThat(consensus.candidacyCalls()).containsExactly(false);
    }

    @Test
    void aBackendThatCannotWithdrawIsAskedOnceAndTheNodeKeepsStanding() {
        consensus.canWithdraw(false);
        problem.set("clock offset +2000.0 ms to the cluster exceeds the bound of 100 ms");
        candidacy.tick(0);
        candidacy.tick(5_000 * MS);
        assertThat(candidacy.standing()).isTrue();
        assertThat(consensus.candidacyAsks()).isEqualTo(1);
        assertThat(events).isEmpty();
    }

    @Test
    void aWithdrawnNodeStandsWhileTheBeatIsSilentAndWithdrawsAgainWhenItIsBack() {
        problem.set("clock offset +2000.0 ms to the cluster exceeds the bound of 100 ms");
        candidacy.tick(0);
        assertThat(candidacy.standing()).isFalse();
        silence.set(900 * MS); // a normal failover's silence: stays out
        candidacy.tick(100 * MS);
        assertThat(candidacy.standing()).isFalse();
        silence.set(1_000 * MS); // the others cannot elect anyone without it
        candidacy.tick(200 * MS);
        assertThat(candidacy.standing()).isTrue();
        assertThat(events).last().asString().startsWith("stands for election although it must not lead (clock offset")
                .contains("silent 1000 ms beyond a phase").contains("n2 answers with an older log");
        candidacy.tick(300 * MS); // asked once
        assertThat(consensus.candidacyCalls()).containsExactly(false, true);
        needed.set(null); // the peer caught up from this node (it leads now): standing until the beat is back
        silence.set(1_500 * MS);
        candidacy.tick(350 * MS);
        assertThat(candidacy.standing()).isTrue();
        silence.set(-1); // a frame came: out again at once, the clock is still off
        candidacy.tick(400 * MS);
        assertThat(candidacy.standing()).isFalse();
        assertThat(consensus.candidacyCalls()).containsExactly(false, true, false);
        assertThat(events).last().asString().startsWith("withdraws from elections again (the beat is back)");
    }

    @Test
    void aSilentBeatAloneNeverWithdrawsATrustedNode() {
        silence.set(5_000 * MS);
        for (long t = 0; t < 3_000 * MS; t += 100 * MS) {
            candidacy.tick(t);
        }
        assertThat(candidacy.standing()).isTrue();
        assertThat(consensus.candidacyCalls()).isEmpty();
    }

    @Test
    void aWithdrawnNodeStaysOutOfASilentBeatWhenNoLivePeerNeedsItsLog() {
        problem.set("clock offset +2000.0 ms to the cluster exceeds the bound of 100 ms");
        candidacy.tick(0);
        needed.set(null); // the peers that answer have logs as recent as this node's, or none answers
        silence.set(3_000 * MS);
        for (long t = 100 * MS; t < 5_000 * MS; t += 100 * MS) {
            candidacy.tick(t);
        }
        assertThat(candidacy.standing()).isFalse();
        assertThat(consensus.candidacyCalls()).containsExactly(false);
        needed.set("n3 answers with an older log (term 2, index 30 < term 2, index 31)");
        candidacy.tick(5_000 * MS);
        assertThat(candidacy.standing()).isTrue();
        assertThat(events).last().asString().contains("n3 answers with an older log");
    }
}
