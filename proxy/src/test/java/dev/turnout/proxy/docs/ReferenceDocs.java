package dev.turnout.proxy.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The operator's reference under {@code docs/}, read as the tests that keep it true need it. */
final class ReferenceDocs {

    /** The repository's root: the parent of the module the tests run in. */
    static final Path ROOT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    private ReferenceDocs() {
    }

    static String read(String name) throws IOException {
        return Files.readString(ROOT.resolve("docs").resolve(name));
    }

    /**
     * Every row of every Markdown table in {@code text} whose first cell starts with a code span: that
     * code span, mapped to the row's cells after it (a later row for the same code span adds nothing).
     */
    static Map<String, List<String>> tableRows(String text) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String trimmed = line.trim();
            if (!trimmed.startsWith("| `")) {
                continue;
            }
            List<String> cells = List.of(trimmed.substring(1, trimmed.length() - 1).split("(?<!\\\\)\\|", -1)).stream()
                    .map(String::trim).toList();
            String first = cells.get(0);
            rows.putIfAbsent(first.substring(1, first.indexOf('`', 1)), cells.subList(1, cells.size()));
        }
        return rows;
    }
}
