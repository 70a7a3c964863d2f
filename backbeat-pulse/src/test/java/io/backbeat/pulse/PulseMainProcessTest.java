package io.backbeat.pulse;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code java PulseMain} as an operator runs it: bad flags stop start-up with status 2 and name the flag. */
class PulseMainProcessTest {

    private record Result(int status, String out, String err) {
    }

    private static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", cp, PulseMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("BACKBEAT_LOG_LEVEL");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("PulseMain " + List.of(args) + " did not exit within 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aBadFlagExitsWithStatus2AndNamesTheFlag() throws Exception {
        Result r = run(Map.of(), "--bootstrap", "--bpm", "abc");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--bpm: 'abc' is not a number").contains("--help");
    }

    @Test
    void anUnknownFlagExitsWithStatus2() throws Exception {
        Result r = run(Map.of(), "--bootstrap", "--tempo", "12");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--tempo: unknown flag");
    }

    @Test
    void aBadLogLevelExitsWithStatus2AndNamesTheVariable() throws Exception {
        Result r = run(Map.of("BACKBEAT_LOG_LEVEL", "loud"), "--bootstrap");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("BACKBEAT_LOG_LEVEL").contains("loud");
    }

    @Test
    void helpListsTheFlagsAndExitsZero() throws Exception {
        Result r = run(Map.of(), "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("--bpm", "--peers", "--consensus", "--raft-bind", "BACKBEAT_LOG_LEVEL");
    }
}
