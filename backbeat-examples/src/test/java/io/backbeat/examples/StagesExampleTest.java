package io.backbeat.examples;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StagesExampleTest {
    @ParameterizedTest
    @ValueSource(strings = {"hash", "dedupe", "process"})
    void theSnapshotNamesTheStageThatWasMadeSlow(String slow) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int rc = Main.run(new String[]{"stages", "--slow", slow, "--duration", "2s"},
                new PrintStream(bytes, true, StandardCharsets.UTF_8), System.err);
        String out = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        assertThat(rc).isZero();
        assertThat(out).contains("bottleneck=" + slow + "\n");
    }
}
