package io.backbeat.examples;

import io.backbeat.testkit.NatsTestServer;
import io.backbeat.testkit.TestPulse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Each example runs against a real nats-server and a publishing pulse. */
class ExamplesTest {
    private static NatsTestServer nats;
    private static TestPulse pulse;

    @BeforeAll
    static void start() {
        nats = NatsTestServer.start();
        pulse = TestPulse.start(nats.url(), "examples", 240);
    }

    @AfterAll
    static void stop() {
        pulse.close();
        nats.close();
    }

    private static String run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            int rc = Main.run(args, out, err);
            assertThat(rc).as(errBytes.toString(StandardCharsets.UTF_8)).isZero();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void singlePrintsOneCheckableLinePerCallback() throws Exception {
        // a frame more than the default grace late (a quarter phase: 21 ms at 240 BPM) marks the callback
        // degraded; a loaded CI machine once delayed one that much, so the check allows 4 times that (under a phase)
        String out = run("single", "--nats", nats.url(), "--cluster", "examples", "--duration", "2s",
                "--grace", "80ms");
        Pattern line = Pattern.compile("^beat=(\\d+) phase=(plan|execute|review) degraded=(true|false) term=(\\d+)",
                Pattern.MULTILINE);
        Matcher m = line.matcher(out);
        long prev = -1;
        int count = 0;
        List<String> phases = List.of("plan", "execute", "review");
        while (m.find()) {
            long key = Long.parseLong(m.group(1)) * 3 + phases.indexOf(m.group(2));
            assertThat(key).isGreaterThan(prev);
            prev = key;
            assertThat(m.group(3)).isEqualTo("false");
            assertThat(m.group(4)).isEqualTo("1");
            count++;
        }
        assertThat(count).as(out).isGreaterThanOrEqualTo(12);
    }

    @Test
    void pipelinedCarriesItemsThroughEveryStage() throws Exception {
        String out = run("pipelined", "--nats", nats.url(), "--cluster", "examples", "--duration", "2s");
        assertThat(out).containsPattern("beat=\\d+ done=\"item-\\d+ planned, executed, reviewed\"");
        assertThat(out).containsPattern("stage=review processed=[1-9]");
    }

    @Test
    void batchFinishesInsideThePhase() throws Exception {
        String out = run("batch", "--nats", nats.url(), "--cluster", "examples", "--duration", "3s",
                "--item-cost", "1ms", "--rate", "2000");
        Matcher m = Pattern.compile("processed=(\\d+) batches=\\d+ in_time=(true|false)").matcher(out);
        int phases = 0;
        int inTime = 0;
        long processed = 0;
        while (m.find()) {
            phases++;
            processed += Long.parseLong(m.group(1));
            if (m.group(2).equals("true")) {
                inTime++;
            }
        }
        assertThat(phases).as(out).isGreaterThanOrEqualTo(6);
        assertThat(processed).isPositive();
        assertThat(inTime).as(out).isGreaterThanOrEqualTo(phases - 1);
    }

    @Test
    void watchPlainPrintsTheLiveView() throws Exception {
        String out = run("watch", "--nats", nats.url(), "--cluster", "examples", "--duration", "1500ms",
                "--plain", "true");
        assertThat(out).containsPattern("beat=\\d+\\s+phase=\\w+\\s+tempo=240.00 bpm\\s+leader=test-pulse term=1\\s+live");
    }

    @Test
    void badFlagsNameTheFlag() throws Exception {
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        int rc = Main.run(new String[]{"batch", "--item-cost", "fast"}, System.out, err);
        assertThat(rc).isEqualTo(2);
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("--item-cost");
        rc = Main.run(new String[]{"single", "--bogus", "1"}, System.out, err);
        assertThat(rc).isEqualTo(2);
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("unknown flag --bogus");
    }
}
