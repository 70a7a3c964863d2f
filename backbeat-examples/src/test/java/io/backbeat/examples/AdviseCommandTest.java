package io.backbeat.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class AdviseCommandTest {
    private static String[] run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[]{String.valueOf(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void adviseNamesTheRecommendedTempoAndTheBindingRule() throws Exception {
        String[] r = run("advise", "--task", "5s", "--recovery", "5s");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("recommended_bpm=4.0000").contains("binding_rule=task_duration")
                .contains("limit.sustainable=6.0000").contains("explanation=the task duration rule binds");
        String[] r2 = run("advise", "--task", "1s", "--recovery", "30s", "--interval", "2m");
        assertThat(r2[1]).contains("recommended_bpm=0.5000").contains("binding_rule=coordination_interval");
    }

    @Test
    void badInputNamesTheFlag() throws Exception {
        String[] r = run("advise", "--task", "soon");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("--task");
        String[] none = run("advise");
        assertThat(none[0]).isEqualTo("2");
        assertThat(none[2]).contains("give --task");
        String[] half = run("advise", "--memory", "100");
        assertThat(half[2]).contains("--memory-per-beat");
    }
}
