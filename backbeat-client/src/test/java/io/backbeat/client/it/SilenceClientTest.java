package io.backbeat.client.it;

import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.client.MissedPhasePolicy;
import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Silence of the pulse (issue #14, item 2): with the default grace (it fits the tempo) no phase is
 * lost at 120 BPM; with a grace longer than a phase the phases that could not be delivered in time
 * are counted and each listener gets them as its {@link MissedPhasePolicy} says.
 */
class SilenceClientTest {
    private NatsTestServer nats;
    private TestPulse pulse;
    private BeatClient client;

    record Seen(long beat, int phase, boolean late, boolean degraded) {
    }

    static final class Rec implements BeatListener {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        final MissedPhasePolicy policy;

        Rec(MissedPhasePolicy policy) {
            this.policy = policy;
        }

        @Override
        public void onPhase(BeatContext ctx) {
            seen.add(new Seen(ctx.beatIndex(), ctx.phaseIndex(), ctx.late(), ctx.degraded()));
        }

        @Override
        public MissedPhasePolicy missedPhasePolicy() {
            return policy;
        }

        /** Pairs that are not consecutive (3 phases a beat). */
        long gaps() {
            long n = 0;
            for (int i = 1; i < seen.size(); i++) {
                long a = seen.get(i - 1).beat() * 3 + seen.get(i - 1).phase();
                long b = seen.get(i).beat() * 3 + seen.get(i).phase();
                if (b != a + 1) {
                    n++;
                }
            }
            return n;
        }
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (pulse != null) {
            pulse.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void theDefaultGraceLosesNoPhaseAt120Bpm() throws Exception {
        nats = NatsTestServer.start();
        pulse = TestPulse.start(nats.url(), "silence", 120);
        client = BeatClient.builder("silence").natsServers(nats.url()).build();
        Rec rec = new Rec(MissedPhasePolicy.SKIP);
        client.addListener(rec);
        await().atMost(Duration.ofSeconds(15)).until(() -> rec.seen.size() >= 6);
        pulse.pause();
        Thread.sleep(3000);
        pulse.resume();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().recoveries() >= 1);
        int n = rec.seen.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.seen.size() >= n + 6);
        assertThat(client.stats().phasesMissed()).as("phases missed").isZero();
        assertThat(rec.gaps()).as("gaps in the phases delivered").isZero();
        assertThat(rec.seen).anyMatch(Seen::degraded).noneMatch(Seen::late);
    }

    @Test
    void aGraceLongerThanAPhaseCountsTheMissedPhasesAndEachPolicyIsKept() throws Exception {
        nats = NatsTestServer.start();
        pulse = TestPulse.start(nats.url(), "silence-long", 120);
        client = BeatClient.builder("silence-long").natsServers(nats.url()).grace(Duration.ofMillis(400)).build();
        Rec late = new Rec(MissedPhasePolicy.DELIVER_LATE);
        Rec last = new Rec(MissedPhasePolicy.LAST_ONLY);
        Rec skip = new Rec(MissedPhasePolicy.SKIP);
        client.addListener(late);
        client.addListener(last);
        client.addListener(skip);
        await().atMost(Duration.ofSeconds(15)).until(() -> late.seen.size() >= 6);
        pulse.pause();
        Thread.sleep(3000);
        pulse.resume();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.stats().recoveries() >= 1);
        int n = late.seen.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> late.seen.size() >= n + 6);
        long missed = client.stats().phasesMissed();
        System.out.printf("silence with a 400 ms grace at 120 BPM: %d phases missed; late deliveries %d / %d / %d%n",
                missed, late.seen.stream().filter(Seen::late).count(), last.seen.stream().filter(Seen::late).count(),
                skip.seen.stream().filter(Seen::late).count());
        assertThat(missed).as("a 400 ms grace is over two 167 ms phases").isBetween(2L, 3L);
        assertThat(late.gaps()).as("DELIVER_LATE: every phase, in order").isZero();
        assertThat(late.seen.stream().filter(Seen::late).count()).isEqualTo(missed);
        assertThat(last.seen.stream().filter(Seen::late).count()).isEqualTo(1);
        assertThat(last.gaps()).isEqualTo(1);
        assertThat(skip.seen).noneMatch(Seen::late);
        assertThat(skip.gaps()).isEqualTo(1);
    }
}
