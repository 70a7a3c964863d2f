package io.backbeat.examples.docs;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module list in {@code docs/architecture.md} ("{@code ->} compile, {@code ~>} test only") says
 * exactly what the poms say: every module of the root pom is listed, with its BACKBEAT dependencies.
 */
class ModuleGraphDocTest {
    private static final Pattern MODULE = Pattern.compile("backbeat-[a-z-]*[a-z]");

    @Test
    void theModuleListInArchitectureMdMatchesThePoms() throws Exception {
        Path root = projectRoot();
        Map<String, Set<String>[]> documented = documented(Files.readString(root.resolve("docs/architecture.md")));
        List<String> modules = children(parse(root.resolve("pom.xml")).getDocumentElement(), "modules", "module");
        assertThat(documented.keySet()).as("modules listed in docs/architecture.md").containsExactlyInAnyOrderElementsOf(modules);
        for (String m : modules) {
            Set<String> compile = new TreeSet<>();
            Set<String> test = new TreeSet<>();
            Document pom = parse(root.resolve(m).resolve("pom.xml"));
            NodeList deps = pom.getDocumentElement().getElementsByTagName("dependency");
            for (int i = 0; i < deps.getLength(); i++) {
                Element d = (Element) deps.item(i);
                if (!"dependencies".equals(d.getParentNode().getNodeName())
                        || d.getParentNode().getParentNode() != pom.getDocumentElement()) {
                    continue; // dependencyManagement, plugin dependencies
                }
                String artifact = text(d, "artifactId");
                if (!artifact.startsWith("backbeat-")) {
                    continue;
                }
                ("test".equals(text(d, "scope")) ? test : compile).add(artifact);
            }
            assertThat(documented.get(m)[0]).as("%s: compile dependencies in docs/architecture.md", m).isEqualTo(compile);
            assertThat(documented.get(m)[1]).as("%s: test dependencies in docs/architecture.md", m).isEqualTo(test);
        }
    }

    /** The fenced block that starts with {@code backbeat-bom}: module -> {compile, test}. */
    @SuppressWarnings("unchecked")
    private static Map<String, Set<String>[]> documented(String md) {
        int start = md.indexOf("\nbackbeat-bom ");
        assertThat(start).as("docs/architecture.md has the module list").isPositive();
        String block = md.substring(start + 1, md.indexOf("```", start));
        List<String> entries = new ArrayList<>();
        for (String line : block.split("\n")) {
            if (line.startsWith("backbeat-")) {
                entries.add(line);
            } else if (!line.isBlank() && !entries.isEmpty()) {
                entries.set(entries.size() - 1, entries.get(entries.size() - 1) + " " + line.trim());
            }
        }
        Map<String, Set<String>[]> out = new LinkedHashMap<>();
        for (String e : entries) {
            String name = e.substring(0, e.indexOf(' ') < 0 ? e.length() : e.indexOf(' '));
            // third-party libraries in brackets and remarks in parentheses are not modules
            String rest = e.substring(name.length()).replaceAll("\\[[^]]*]", "").replaceAll("\\([^)]*\\)", "");
            int tilde = rest.indexOf("~>");
            String compilePart = tilde < 0 ? rest : rest.substring(0, tilde);
            String testPart = tilde < 0 ? "" : rest.substring(tilde);
            out.put(name, new Set[]{modules(compilePart), modules(testPart)});
        }
        return out;
    }

    private static Set<String> modules(String s) {
        Set<String> out = new TreeSet<>();
        Matcher m = MODULE.matcher(s);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static List<String> children(Element e, String container, String child) {
        List<String> out = new ArrayList<>();
        NodeList c = ((Element) e.getElementsByTagName(container).item(0)).getElementsByTagName(child);
        for (int i = 0; i < c.getLength(); i++) {
            out.add(c.item(i).getTextContent().trim());
        }
        return out;
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().trim();
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("docs/architecture.md"))) {
            p = p.getParent();
        }
        assertThat(p).as("the project root (with docs/architecture.md) above %s", Path.of("").toAbsolutePath()).isNotNull();
        return p;
    }
}
