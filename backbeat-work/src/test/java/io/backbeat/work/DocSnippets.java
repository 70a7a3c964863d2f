package io.backbeat.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles the {@code ```java} blocks of {@code docs/work-tools.md} and {@code docs/rhythm-tools.md}
 * against today's API, for the tests of the modules the blocks need ({@code DocSnippetsTest} in
 * {@code backbeat-work} and in {@code backbeat-rhythm}, which gets this class from this module's
 * test-jar). Each module's test compiles the blocks that name it; between them every block is
 * compiled, since a block naming any other module fails both.
 *
 * <p>Convention: each block is preceded (blank lines aside) by an HTML comment, invisible on the
 * rendered page:
 * <pre>
 * &lt;!-- snippet module=backbeat-work [kind=body|members]
 * import org.slf4j.Logger
 * given BoundedWorkQueue&lt;Order&gt; inbox;
 * given record Order(int priority) { }
 * --&gt;
 * </pre>
 * {@code module} names the module whose test scope compiles it; {@code kind} is how the block is
 * wrapped: {@code body} (default) as the body of a method of an abstract class, {@code members} as
 * members of that class. {@code import} lines add imports (the module's own packages, as its test
 * names them, {@code java.time}, {@code java.util} and {@code java.util.function} are imported
 * anyway); {@code given} lines are members of the class, declaring what the snippet takes for
 * granted (a field, a record, an abstract method). The compiler's message fails the test;
 * deprecated API in a snippet counts as an error.
 */
public final class DocSnippets {

    /** The documents whose blocks are compiled, relative to the project root. */
    public static final List<String> DOCS = List.of("docs/work-tools.md", "docs/rhythm-tools.md");
    /** The modules a block may name. */
    public static final List<String> MODULES = List.of("backbeat-work", "backbeat-rhythm");
    private static final List<String> JDK_IMPORTS = List.of("java.time.*", "java.util.*", "java.util.function.*");

    /** One {@code ```java} block and its comment. */
    record Snippet(String doc, int line, String module, String kind, List<String> imports, List<String> given,
                   String code) {
        String className() {
            return "Snippet_" + doc.replaceAll("\\W", "_") + "_" + line;
        }

        String where() {
            return doc + ":" + line;
        }
    }

    private final String module;
    private final List<String> defaultImports;

    private DocSnippets(String module, List<String> moduleImports) {
        this.module = module;
        this.defaultImports = Stream.concat(moduleImports.stream(), JDK_IMPORTS.stream()).toList();
    }

    /**
     * The blocks of {@code module}, each compiled with {@code moduleImports} (such as
     * {@code "io.backbeat.work.*"}) besides the JDK's.
     */
    public static DocSnippets of(String module, String... moduleImports) {
        assertThat(MODULES).as("modules whose test compiles doc snippets").contains(module);
        return new DocSnippets(module, List.of(moduleImports));
    }

    /**
     * Reads every document, checks every block's comment, and compiles this module's blocks into
     * {@code out} on the test's class path; fails with the compiler's messages and the wrapped
     * source when one does not compile, and when the documents have no block for this module.
     */
    public void assertEveryBlockCompiles(Path out) throws IOException {
        Path root = projectRoot();
        List<Snippet> all = new ArrayList<>();
        for (String doc : DOCS) {
            all.addAll(parse(doc, Files.readAllLines(root.resolve(doc))));
        }
        for (Snippet s : all) {
            assertThat(MODULES).as("%s: module of the snippet", s.where()).contains(s.module());
            assertThat(List.of("body", "members")).as("%s: kind of the snippet", s.where()).contains(s.kind());
        }
        List<Snippet> mine = all.stream().filter(s -> s.module().equals(module)).toList();
        assertThat(mine).as("snippets for %s", module).isNotEmpty();

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (tests run on a JDK)").isNotNull();
        List<JavaFileObject> units = new ArrayList<>();
        for (Snippet s : mine) {
            units.add(new Source(s.className(), wrap(s)));
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:deprecation", "-Werror",
                    "-classpath", System.getProperty("java.class.path"), "-d", out.toString());
            boolean ok = javac.getTask(null, files, diagnostics, options, null, units).call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR && d.getKind() != Diagnostic.Kind.WARNING
                        && d.getKind() != Diagnostic.Kind.MANDATORY_WARNING) {
                    continue;
                }
                Snippet s = d.getSource() == null ? null : mine.stream()
                        .filter(x -> d.getSource().getName().endsWith(x.className() + ".java")).findFirst().orElse(null);
                report.append(s == null ? "" : s.where() + " (" + s.module() + " snippet): ")
                        .append(d.getKind()).append(" at line ").append(d.getLineNumber()).append(" of the wrapped source: ")
                        .append(d.getMessage(Locale.ROOT)).append('\n');
                if (s != null) {
                    report.append(numbered(wrap(s))).append('\n');
                }
            }
            if (!ok || report.length() > 0) {
                fail("doc snippets do not compile:\n" + report);
            }
        }
    }

    /** The {@code ```java} blocks of one document. */
    static List<Snippet> parse(String doc, List<String> lines) {
        List<Snippet> out = new ArrayList<>();
        String comment = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String trimmed = line.trim();
            if (trimmed.startsWith("<!-- snippet")) {
                StringBuilder c = new StringBuilder();
                int j = i;
                while (!lines.get(j).contains("-->")) {
                    c.append(lines.get(j)).append('\n');
                    j++;
                    if (j == lines.size()) {
                        fail(doc + ":" + (i + 1) + ": unterminated snippet comment");
                    }
                }
                c.append(lines.get(j), 0, lines.get(j).indexOf("-->"));
                comment = c.toString();
                i = j;
                continue;
            }
            if (trimmed.startsWith("```java")) {
                int fence = i + 1;
                StringBuilder code = new StringBuilder();
                for (i++; i < lines.size() && !lines.get(i).trim().startsWith("```"); i++) {
                    code.append(lines.get(i)).append('\n');
                }
                if (comment == null) {
                    fail(doc + ":" + fence + ": a java block without a <!-- snippet module=... --> comment before it");
                }
                out.add(snippet(doc, fence, comment, code.toString()));
                comment = null;
                continue;
            }
            if (!trimmed.isEmpty()) {
                comment = null; // the comment belongs to the very next block only
            }
        }
        return out;
    }

    private static Snippet snippet(String doc, int line, String comment, String code) {
        String[] rows = comment.split("\n");
        String header = rows[0].trim().substring("<!-- snippet".length()).trim();
        String module = null;
        String kind = "body";
        for (String attr : header.split("\\s+")) {
            if (attr.startsWith("module=")) {
                module = attr.substring("module=".length());
            } else if (attr.startsWith("kind=")) {
                kind = attr.substring("kind=".length());
            } else if (!attr.isEmpty()) {
                fail(doc + ":" + line + ": unknown snippet attribute '" + attr + "'");
            }
        }
        if (module == null) {
            fail(doc + ":" + line + ": the snippet comment names no module=");
        }
        List<String> imports = new ArrayList<>();
        List<String> given = new ArrayList<>();
        for (int k = 1; k < rows.length; k++) {
            String r = rows[k].trim();
            if (r.startsWith("import ")) {
                imports.add(r.substring("import ".length()).replace(";", "").trim());
            } else if (r.startsWith("given ")) {
                given.add(r.substring("given ".length()));
            } else if (!r.isEmpty()) {
                fail(doc + ":" + line + ": a snippet comment line is 'import ...' or 'given ...', not '" + r + "'");
            }
        }
        return new Snippet(doc, line, module, kind, imports, given, code);
    }

    /** The compilation unit for a snippet. */
    String wrap(Snippet s) {
        StringBuilder src = new StringBuilder("package docsnippets;\n");
        for (String i : defaultImports) {
            src.append("import ").append(i).append(";\n");
        }
        for (String i : s.imports()) {
            src.append("import ").append(i).append(";\n");
        }
        src.append("@SuppressWarnings({\"unused\", \"rawtypes\", \"unchecked\"})\n");
        src.append("abstract class ").append(s.className()).append(" {\n");
        for (String g : s.given()) {
            src.append("    ").append(g).append('\n');
        }
        if (s.kind().equals("members")) {
            src.append(s.code());
        } else {
            src.append("    void snippet() throws Exception {\n").append(s.code()).append("    }\n");
        }
        return src.append("}\n").toString();
    }

    private static String numbered(String src) {
        StringBuilder b = new StringBuilder();
        String[] rows = src.split("\n", -1);
        for (int i = 0; i < rows.length; i++) {
            b.append(String.format(Locale.ROOT, "%4d  %s%n", i + 1, rows[i]));
        }
        return b.toString();
    }

    /** Walks up from the working directory to the directory that holds {@code docs/}. */
    static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path dir = p;
            if (Files.isDirectory(dir.resolve("docs")) && DOCS.stream().allMatch(d -> Files.isRegularFile(dir.resolve(d)))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docs/ above " + Path.of("").toAbsolutePath());
    }

    /** A source held in memory. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///docsnippets/" + className + ".java"), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
