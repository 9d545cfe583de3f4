package dev.turnout.proxy.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.RawClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestDnsServer;
import dev.turnout.proxy.testing.TestProxy;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/metrics.md} against a scrape of a running Turnout that has seen traffic, a 5xx, an unrouted
 * request, a health-checked pool, a pool found through DNS, a cache hit and an access-log file: every family it
 * serves is documented, Turnout's own with exactly their labels, and every family documented is served.
 */
class MetricsReferenceTest {

    private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? ", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    @Test
    void everyServedFamilyIsDocumentedWithItsLabelsAndEveryDocumentedOneIsServed() throws Exception {
        Map<String, List<String>> rows = ReferenceDocs.tableRows(ReferenceDocs.read("metrics.md"));
        Map<String, Set<String>> served = scrape();

        Map<String, String> wrong = new TreeMap<>();
        served.forEach((family, labels) -> {
            List<String> row = rows.get(family);
            if (family.startsWith("turnout_")) {
                if (row == null) {
                    wrong.put(family, "not documented; labels " + labels);
                } else if (!labels.equals(labelSet(row.get(1)))) {
                    wrong.put(family, "labels " + labels + ", documented " + row.get(1));
                }
            } else if (rows.keySet().stream().noneMatch(name -> name.endsWith("*")
                    && family.startsWith(name.substring(0, name.length() - 1)))) {
                wrong.put(family, "matches no documented family or prefix");
            }
        });
        rows.keySet().stream().filter(name -> !name.endsWith("*") && !served.containsKey(name))
                .forEach(name -> wrong.put(name, "documented but not served"));
        assertTrue(wrong.isEmpty(), "docs/metrics.md and /metrics differ: " + wrong);
        assertEquals("counter", rows.get("turnout_retries_total").get(0));
    }

    /** Each family of a scrape after some traffic, with the union of its samples' label names. */
    private static Map<String, Set<String>> scrape() throws Exception {
        Path accessLog = Files.createTempFile("turnout-access", ".log");
        accessLog.toFile().deleteOnExit();
        try (FakeBackend ok = FakeBackend.start(Reply.ok("ok").header("Cache-Control", "max-age=60"));
                FakeBackend failing = FakeBackend.start(Reply.status(500, "boom"));
                TestDnsServer dns = TestDnsServer.start().addresses("found.test", "127.0.0.1");
                Turnout proxy = TestProxy.start("access-log.file = \"" + accessLog + "\"\n"
                        + "pools {\n"
                        + "  stable { health-check { path = \"/\" }, backends = [ " + TestProxy.backend("s1", ok, 1) + " ] }\n"
                        + "  canary { backends = [ " + TestProxy.backend("c1", failing, 1) + " ] }\n"
                        + "  found { discovery { dns = \"found.test\", port = " + ok.port() + " } }\n"
                        + "}\n"
                        + "dns.resolvers = [\"" + dns.resolver() + "\"]\n"
                        + "routes = [ { name = web, host = \"web.test\", split { stable = 50, canary = 50 } } ]");
                RawClient client = RawClient.connect(proxy.address());
                RawClient stranger = RawClient.connect(proxy.address())) {
            Await.until("a health check", () -> metrics(proxy).contains("turnout_health_checks_total{"));
            for (int i = 0; i < 4; i++) {
                client.get("web.test", "/same");
            }
            stranger.get("elsewhere.test", "/");
            String text = metrics(proxy);
            Map<String, String> types = new LinkedHashMap<>();
            Matcher type = TYPE.matcher(text);
            while (type.find()) {
                types.put(type.group(1), type.group(2));
            }
            Map<String, Set<String>> families = new TreeMap<>();
            Matcher sample = SAMPLE.matcher(text);
            while (sample.find()) {
                String family = family(sample.group(1), types);
                Set<String> labels = families.computeIfAbsent(family, f -> new TreeSet<>());
                Matcher label = LABEL.matcher(sample.group(2) == null ? "" : sample.group(2));
                while (label.find()) {
                    if (!label.group(1).equals("le")) {
                        labels.add(label.group(1));
                    }
                }
            }
            return families;
        }
    }

    /** The family a sample belongs to: its name, or the histogram or summary whose _bucket, _count or _sum it is. */
    private static String family(String sample, Map<String, String> types) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return sample;
    }

    private static Set<String> labelSet(String cell) {
        Set<String> labels = new TreeSet<>();
        for (String label : cell.split(",")) {
            if (!label.isBlank()) {
                labels.add(label.trim());
            }
        }
        return labels;
    }

    private static String metrics(Turnout proxy) {
        HttpResponse<String> response = AdminCalls.send(proxy, "GET", "/metrics", null);
        assertEquals(200, response.statusCode());
        return response.body();
    }
}
