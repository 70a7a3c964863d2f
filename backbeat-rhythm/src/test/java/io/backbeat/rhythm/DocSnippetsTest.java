package io.backbeat.rhythm;

import io.backbeat.work.DocSnippets;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the tool docs marked {@code module=backbeat-rhythm} (those of
 * {@code docs/rhythm-tools.md}) compiles against today's rhythm tools; see {@link DocSnippets} (from
 * the test-jar of {@code backbeat-work}) for the convention.
 */
class DocSnippetsTest {

    @Test
    void everyJavaSnippetInTheToolDocsCompiles(@TempDir Path out) throws IOException {
        DocSnippets.of("backbeat-rhythm", "io.backbeat.rhythm.*").assertEveryBlockCompiles(out);
    }
}
