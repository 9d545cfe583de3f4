package dev.turnout.proxy.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.turnout.proxy.config.ConfigKeys;
import dev.turnout.proxy.config.ConfigLoader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} against the code: it names every key the loader accepts and no other, and
 * each default it shows for a key of {@code reference.conf} is the value there. A key added to the loader
 * or to {@code reference.conf} without its row here fails, naming the key.
 */
class ConfigReferenceTest {

    private static Map<String, List<String>> documented() throws Exception {
        return ReferenceDocs.tableRows(ReferenceDocs.read("configuration.md"));
    }

    @Test
    void everyKeyTheLoaderAcceptsIsDocumented() throws Exception {
        Set<String> missing = new TreeSet<>(ConfigKeys.all());
        missing.removeAll(documented().keySet());
        assertTrue(missing.isEmpty(), "docs/configuration.md lacks a row for " + missing);
    }

    @Test
    void everyDocumentedKeyIsOneTheLoaderAccepts() throws Exception {
        Set<String> known = new TreeSet<>(ConfigKeys.all());
        ConfigKeys.sections().forEach(section -> known.add(section.path()));
        Set<String> unknown = new TreeSet<>(documented().keySet());
        unknown.removeAll(known);
        assertTrue(unknown.isEmpty(), "docs/configuration.md documents keys the loader refuses: " + unknown);
    }

    @Test
    void everyDefaultInTheReferenceConfIsDocumentedWithItsValue() throws Exception {
        Map<String, List<String>> rows = documented();
        Map<String, String> wrong = new TreeMap<>();
        // The file itself: the test run's system properties override some of its keys in the loaded reference.
        Config reference = ConfigFactory.parseFile(ReferenceDocs.ROOT.resolve("proxy/src/main/resources/reference.conf")
                .toFile()).resolve().getConfig("turnout");
        for (Map.Entry<String, ConfigValue> entry : reference.entrySet()) {
            // A pool takes what it does not set from turnout.defaults: that is the pool key's default.
            String key = "turnout." + entry.getKey().replaceFirst("^defaults\\.", "pools.<name>.");
            String value = entry.getValue().render(ConfigRenderOptions.concise());
            List<String> row = rows.get(key);
            if (row == null || !normalized(row.get(0)).equals(normalized(value))) {
                wrong.put(key, value + (row == null ? " (no row)" : " (documented: " + row.get(0) + ")"));
            }
        }
        assertTrue(wrong.isEmpty(), "docs/configuration.md does not show reference.conf's default for " + wrong);
    }

    @Test
    void theLoaderRefusesAKeyOutsideTheList() {
        // The list is the loader's own: a key it does not hold is refused, in a section that was never checked before.
        String message = assertThrows(RuntimeException.class,
                () -> ConfigLoader.parse("turnout.defaults.retrys = 3")).getMessage();
        assertEquals("turnout.defaults.retrys: unknown key (expected one of [health-check, max-connections, max-pending, "
                + "passive-ejection, retries, retry-budget, slow-start])", message);
    }

    private static String normalized(String cell) {
        return cell.replace("`", "").replace("\"", "").replace(" ", "");
    }
}
