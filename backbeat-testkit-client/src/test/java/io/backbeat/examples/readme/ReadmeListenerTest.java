package io.backbeat.examples.readme;

import io.backbeat.api.ClaimState;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.BeatListener;
import io.backbeat.testkit.client.InMemoryPulse;
import io.backbeat.testkit.VirtualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The listener shown in the README, compiled and run. */
class ReadmeListenerTest {

    // README: begin (15 lines)
    static final class Indexer implements BeatListener {
        final List<Long> done = new CopyOnWriteArrayList<>();

        @Override
        public void onExecute(BeatContext ctx) {
            ctx.deadline().runWithin(() -> done.add(ctx.beatIndex()));   // cancelled if it overruns the phase
            ctx.report(ClaimState.COMPLETED, null);                       // a StatusClaim on backbeat.{cluster}.status
        }

        @Override
        public void onDegraded(String reason) {
            System.out.println("pulse silent, keeping the beat locally: " + reason);
        }
    }
    // README: end

    @Test
    void theReadmeListenerWorks() {
        VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
        InMemoryPulse pulse = InMemoryPulse.start(clock, "chorus-aus-01", 120);
        Indexer indexer = new Indexer();
        try (BeatClient client = pulse.clientBuilder().build()) {
            client.addListener(indexer);
            clock.advance(Duration.ofSeconds(5));
        }
        assertThat(indexer.done).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(pulse.claims()).hasSize(10);
    }
}
