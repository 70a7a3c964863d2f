package io.backbeat.examples.clientdoc;

import io.backbeat.api.ClaimState;
import io.backbeat.api.StatusClaim;
import io.backbeat.client.BeatClient;
import io.backbeat.client.BeatContext;
import io.backbeat.client.DeadlineExceededException;
import io.backbeat.testkit.VirtualClock;
import io.backbeat.testkit.client.InMemoryPulse;
import io.backbeat.testkit.client.RecordingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The example of "Testing with virtual time" in docs/client.md, compiled and run; the doc is checked against it. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualTimeDocTest {

    @Test
    void theDocumentedExampleWorks() {
        // docs/client.md: begin
        VirtualClock clock = VirtualClock.startingAt(Instant.parse("2030-01-01T00:00:00Z"));
        InMemoryPulse pulse = InMemoryPulse.start(clock, "svc", 120); // phases of 166.67 ms
        RecordingListener rec = new RecordingListener(clock) {        // arrivals on virtual time
            @Override
            protected void afterPhase(BeatContext ctx) {
                try {
                    if (ctx.phase().equals("plan")) {
                        clock.sleep(Duration.ofMillis(200));          // a callback that takes 200 ms
                    } else if (ctx.phase().equals("execute")) {
                        long ms = ctx.beatIndex() % 2 == 0 ? 100 : 200;
                        ctx.deadline().runWithin(() -> {               // work cancelled at the phase's end
                            clock.sleep(Duration.ofMillis(ms));
                            return null;
                        });
                    }
                    ctx.report(ClaimState.COMPLETED, null);
                } catch (DeadlineExceededException e) {
                    ctx.report(ClaimState.FAILED, "overran the execute phase");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (BeatClient client = pulse.clientBuilder().markLateClaims(true).build()) {
            client.addListener(rec);
            clock.advance(Duration.ofMinutes(1));                     // in a fraction of a second
            assertThat(client.stats().skippedBusy()).isZero();        // QUEUE_ONE: execute waited for plan
        }
        List<StatusClaim> claims = pulse.claims();
        assertThat(claims).filteredOn(c -> c.phase().equals("plan"))
                .allMatch(c -> c.state() == ClaimState.LATE && c.durationMs() == 200);
        assertThat(claims).filteredOn(c -> c.phase().equals("execute") && c.beatIndex() % 2 == 1)
                .allMatch(c -> c.state() == ClaimState.FAILED);
        assertThat(rec.phases()).filteredOn(s -> s.phase().equals("execute") && s.beatIndex() > 0)
                .allMatch(s -> s.lagNanos() == 33_333_334L);           // started when plan was done
        // docs/client.md: end
        assertThat(claims).filteredOn(c -> c.phase().equals("execute") && c.beatIndex() % 2 == 0)
                .allMatch(c -> c.state() == ClaimState.COMPLETED);
        assertThat(rec.phases()).hasSize(120 * 3); // beat 0's execute (the first frame) to beat 120's plan
        assertThat(claims).hasSize(120 * 3 - 1); // that plan is still at work
    }

    @Test
    void theDocShowsThisExample() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("docs/client.md"))) {
            root = root.getParent();
        }
        assertThat(root).as("the project root (with docs/client.md)").isNotNull();
        String doc = Files.readString(root.resolve("docs/client.md"));
        String test = Files.readString(root.resolve(
                "backbeat-testkit-client/src/test/java/io/backbeat/examples/clientdoc/VirtualTimeDocTest.java"));
        String example = between(test, "// docs/client.md: begin\n", "// docs/client.md: end"); // ends in its indent
        String section = doc.substring(doc.indexOf("## Testing with virtual time"));
        String shown = between(section, "```java\n", "```\n");
        assertThat(shown).as("the example in docs/client.md").isEqualTo(example.stripIndent());
    }

    private static String between(String s, String from, String to) {
        int a = s.indexOf(from);
        assertThat(a).as("marker %s", from).isNotNegative();
        int b = s.indexOf(to, a + from.length());
        assertThat(b).as("marker %s", to).isNotNegative();
        return s.substring(a + from.length(), b);
    }
}
