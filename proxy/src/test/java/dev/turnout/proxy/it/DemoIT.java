package dev.turnout.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --demo} needs no setup: it prints the proxy's URL (127.0.0.1:8080, or a free port when
 * 8080 is taken), answers there through its in-process demo servers, prints a command that shows the
 * split, and exits 0 on SIGTERM.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
class DemoIT {

    private static final Pattern PROXY_LINE = Pattern.compile("(?m)^\\s*proxy:\\s+http://127\\.0\\.0\\.1:(\\d+)/?\\s*$");
    private static final Pattern SPLIT_COMMAND = Pattern.compile("(?m)^\\s*(for i in \\$\\(seq 20\\).*uniq -c)\\s*$");
    private static final Pattern DEMO_ANSWER = Pattern.compile("\"version\":\"v[12]\",\"server\":\"app[123]\"");

    @TempDir
    Path dir;

    @Test
    void demoAnswersAtThePrintedUrlAndExitsZeroOnSigterm() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.launch(dir, "--demo")) {
            int port = Integer.parseInt(turnout.awaitStdout(PROXY_LINE, TurnoutProcess.START_TIMEOUT));

            for (int i = 0; i < 10; i++) {
                try (WireClient client = new WireClient(port)) {
                    WireClient.Response response = client.get("/hello");
                    assertEquals(200, response.status(), turnout::describe);
                    String body = response.bodyText();
                    assertTrue(DEMO_ANSWER.matcher(body).find(), () -> "not a demo server's answer: " + body);
                }
            }

            // The command the demo suggests shows the split: 18 of 20 answers from v1, 2 from v2, whatever the phase.
            String command = turnout.awaitStdout(SPLIT_COMMAND, TurnoutProcess.START_TIMEOUT);
            Process split = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
            String counts = new String(split.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, split.waitFor(), counts);
            Map<String, Integer> byVersion = new TreeMap<>();
            for (String line : counts.strip().split("\n")) {
                String[] countAndAnswer = line.strip().split(" ", 2);
                byVersion.merge(countAndAnswer[1].replaceAll(".*\"version\":\"(v[12])\".*", "$1"),
                        Integer.parseInt(countAndAnswer[0]), Integer::sum);
            }
            assertEquals(Map.of("v1", 18, "v2", 2), byVersion, command + "\n" + counts);

            turnout.terminate();
            assertEquals(0, turnout.waitForExit(Duration.ofSeconds(30)), turnout::describe);
        }
    }
}
