package io.backbeat.work;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the tool docs marked {@code module=backbeat-work} (those of
 * {@code docs/work-tools.md}) compiles against today's work tools; see {@link DocSnippets} for the
 * convention and for the blocks of the other modules.
 */
class DocSnippetsTest {

    @Test
    void everyJavaSnippetInTheToolDocsCompiles(@TempDir Path out) throws IOException {
        DocSnippets.of("backbeat-work", "io.backbeat.work.*", "io.backbeat.work.stages.*")
                .assertEveryBlockCompiles(out);
    }
}
