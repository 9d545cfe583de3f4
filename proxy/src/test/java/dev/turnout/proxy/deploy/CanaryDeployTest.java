package dev.turnout.proxy.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.Turnout;
import dev.turnout.proxy.testing.AdminCalls;
import dev.turnout.proxy.testing.Await;
import dev.turnout.proxy.testing.FakeBackend;
import dev.turnout.proxy.testing.LoadClient;
import dev.turnout.proxy.testing.Reply;
import dev.turnout.proxy.testing.TestProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/deploy/canary-deploy.sh}, run for real against a running Turnout under load: it passes the job
 * when the canary is promoted, fails it when the canary answers 5xx and is rolled back, and with
 * {@code --abort-on-exit} aborts the rollout when the job is cancelled.
 */
class CanaryDeployTest {

    private static final Path SCRIPT = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("conf/deploy/canary-deploy.sh");
    private static final String TOKEN = "canary-Token-3";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Turnout start(FakeBackend app1, FakeBackend app2, FakeBackend canary) throws Exception {
        return TestProxy.start("admin { listen = \"127.0.0.1:0\", token = \"" + TOKEN + "\" }\n"
                + "pools {\n"
                + "  stable { backends = [ " + TestProxy.backend("app1", app1, 1) + ", " + TestProxy.backend("app2", app2, 1)
                + " ] }\n"
                + "  canary { backends = [ " + TestProxy.backend("c1", canary, 1) + " ] }\n"
                + "}\n"
                + "routes = [ { name = web, split { stable = 100, canary = 0 } } ]");
    }

    /** The script with short steps, a few requests per side, and a p95 bound loose enough for loopback jitter. */
    private static List<String> command(Turnout proxy, String... more) {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(),
                "--admin", "http://127.0.0.1:" + proxy.adminAddress().getPort(), "--route", "web", "--from", "stable",
                "--to", "canary", "--steps", "50,100", "--interval", "500ms", "--min-requests", "20",
                "--max-error-rate", "0.02", "--max-p95-ratio", "1000", "--token", TOKEN));
        command.addAll(List.of(more));
        return command;
    }

    private static LoadClient load(Turnout proxy) {
        return new LoadClient(URI.create("http://127.0.0.1:" + proxy.address().getPort() + "/"), 4);
    }

    @Test
    void aGoodCanaryIsPromotedAndTheJobPasses() throws Exception {
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2"));
                FakeBackend canary = FakeBackend.start(Reply.ok("canary"));
                Turnout proxy = start(app1, app2, canary);
                LoadClient load = load(proxy)) {
            Run run = Run.of(command(proxy));

            assertEquals(0, run.exitCode(), run.output());
            assertTrue(run.output().contains("PROMOTED: canary has all of route web"), run.output());
            assertTrue(run.output().contains("pass ") && run.output().contains("canary: "),
                    "each verdict is printed with its figures: " + run.output());
            assertEquals(100, rollout(proxy).path("split").path("canary").asInt());
            assertEquals("promoted", rollout(proxy).path("state").asText());
            assertTrue(load.failures().isEmpty(), load.failures()::toString);
        }
    }

    @Test
    void aCanaryAnswering5xxIsRolledBackAndTheJobFails() throws Exception {
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2"));
                FakeBackend canary = FakeBackend.start(Reply.status(503, "canary is broken"));
                Turnout proxy = start(app1, app2, canary);
                LoadClient load = load(proxy)) {
            Run run = Run.of(command(proxy));

            assertEquals(1, run.exitCode(), run.output());
            assertTrue(run.output().contains("ROLLED BACK (rolled-back): "), run.output());
            JsonNode rollout = rollout(proxy);
            assertTrue(run.output().contains(rollout.path("reason").asText()), "the reason is printed: " + run.output());
            assertEquals(100, rollout.path("split").path("stable").asInt(), "stable has the route back");
        }
    }

    @Test
    void withAbortOnExitACancelledJobAbortsItsRollout() throws Exception {
        try (FakeBackend app1 = FakeBackend.start(Reply.ok("app1"));
                FakeBackend app2 = FakeBackend.start(Reply.ok("app2"));
                FakeBackend canary = FakeBackend.start(Reply.ok("canary"));
                Turnout proxy = start(app1, app2, canary)) {
            List<String> command = command(proxy, "--abort-on-exit");
            command.set(command.indexOf("500ms"), "10m");
            Process job = new ProcessBuilder(command).redirectErrorStream(true).start();
            Output output = Output.of(job.getInputStream());
            Await.until("the rollout to run", () -> "running".equals(rollout(proxy).path("state").asText()));

            job.toHandle().destroy(); // SIGTERM, as a CI runner cancels a job (Process.destroy would also close its output)
            assertTrue(job.waitFor(30, TimeUnit.SECONDS), "the script stops");
            assertEquals(143, job.exitValue(), output.text());
            assertEquals("aborted", rollout(proxy).path("state").asText(), output.text());
            assertEquals(100, rollout(proxy).path("split").path("stable").asInt());
        }
    }

    @Test
    void aRefusedRolloutIsAnApiErrorAndExits2() throws Exception {
        try (FakeBackend app1 = FakeBackend.start();
                FakeBackend app2 = FakeBackend.start();
                FakeBackend canary = FakeBackend.start();
                Turnout proxy = start(app1, app2, canary)) {
            List<String> command = command(proxy);
            command.set(command.indexOf("canary"), "nosuchpool");
            Run run = Run.of(command);

            assertEquals(2, run.exitCode(), run.output());
            assertTrue(run.output().contains("FAILED to start the rollout on route web: 404"), run.output());
            assertEquals(2, Run.of(List.of("bash", SCRIPT.toString(), "--route", "web")).exitCode(), "usage");
        }
    }

    private static JsonNode rollout(Turnout proxy) {
        try {
            return JSON.readTree(AdminCalls.send(proxy, "GET", "/api/v1/routes/web/rollout", null, TOKEN).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A finished run of the script: its exit code and everything it printed. */
    private record Run(int exitCode, String output) {

        static Run of(List<String> command) throws Exception {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Output output = Output.of(process.getInputStream());
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the script did not finish: " + output.text());
            }
            return new Run(process.exitValue(), output.text());
        }
    }

    /** A process's output, read as it comes on a thread of its own. */
    private record Output(ByteArrayOutputStream bytes, Thread reader) {

        static Output of(InputStream in) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    in.transferTo(bytes);
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            reader.start();
            return new Output(bytes, reader);
        }

        String text() throws InterruptedException {
            reader.join(5000);
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
