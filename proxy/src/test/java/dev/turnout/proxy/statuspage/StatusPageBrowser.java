package dev.turnout.proxy.statuspage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.proxy.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The status page in headless Chromium, from Debian's {@code chromium} and {@code chromium-driver},
 * with what a test reads and clicks on it. Both binaries are named explicitly, so Selenium never looks
 * for (or downloads) a browser of its own; where they are missing, the calling test is skipped.
 *
 * <p>The page refreshes itself every second, so every read tolerates an element being replaced under it
 * and every check waits (with {@link Await}) for what the page should come to show.
 */
final class StatusPageBrowser implements AutoCloseable {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** The browser and the page's one-second refresh share two cores with the proxy and its load. */
    static final Duration PAGE_TIMEOUT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChromeDriver driver;

    private StatusPageBrowser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Opens {@code page} in a new headless Chromium window of this size, or skips the test without one. */
    static StatusPageBrowser open(URI page, int width, int height) {
        return open(page, width, height, false);
    }

    /**
     * Like {@link #open(URI, int, int)}; with {@code recordNetwork}, Chromium also keeps its network log,
     * from which {@link #statusesReceived} reads what the server really answered, even to a
     * {@code no-cors} fetch whose answer the page itself cannot see.
     */
    static StatusPageBrowser open(URI page, int width, int height, boolean recordNetwork) {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no headless browser for the status page test (" + CHROMIUM + ", " + CHROMEDRIVER
                        + "): apt-get install chromium chromium-driver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // Root in a container: no sandbox; a small /dev/shm: no shared memory for the renderer.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--window-size=" + width + "," + height);
        if (recordNetwork) {
            LoggingPreferences logs = new LoggingPreferences();
            logs.enable(LogType.PERFORMANCE, Level.ALL);
            options.setCapability("goog:loggingPrefs", logs);
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.get(page.toString());
        return new StatusPageBrowser(driver);
    }

    // ---- reading ----------------------------------------------------------------------------------

    /** The element's text, or "" while it is missing, hidden or being replaced. */
    String text(String css) {
        try {
            List<WebElement> found = driver.findElements(By.cssSelector(css));
            return found.isEmpty() ? "" : found.get(0).getText().trim();
        } catch (WebDriverException replacedMeanwhile) {
            return "";
        }
    }

    boolean shown(String css) {
        try {
            List<WebElement> found = driver.findElements(By.cssSelector(css));
            return !found.isEmpty() && found.get(0).isDisplayed();
        } catch (WebDriverException replacedMeanwhile) {
            return false;
        }
    }

    String attribute(String css, String name) {
        try {
            List<WebElement> found = driver.findElements(By.cssSelector(css));
            return found.isEmpty() ? "" : String.valueOf(found.get(0).getDomAttribute(name));
        } catch (WebDriverException replacedMeanwhile) {
            return "";
        }
    }

    String source() {
        return driver.getPageSource();
    }

    /**
     * The HTTP statuses of the answers the browser received since the last call for URLs that end with
     * {@code pathAndQuery}, from the network log (opened with {@code recordNetwork}).
     */
    List<Integer> statusesReceived(String pathAndQuery) {
        List<Integer> statuses = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message;
            try {
                message = JSON.readTree(entry.getMessage()).path("message");
            } catch (JsonProcessingException e) {
                throw new AssertionError("Chromium's network log is not JSON: " + entry.getMessage(), e);
            }
            JsonNode response = message.path("params").path("response");
            if (message.path("method").asText().equals("Network.responseReceived")
                    && response.path("url").asText().endsWith(pathAndQuery)) {
                statuses.add(response.path("status").asInt());
            }
        }
        return statuses;
    }

    /** The row of one backend. */
    static String backend(String pool, String id) {
        return "section.pool[data-pool=\"" + pool + "\"] tr[data-pool=\"" + pool + "\"][data-backend=\"" + id + "\"]";
    }

    /** A field of one backend's row: state, health, weight, inflight, rate, error-rate, p95, requests, drain-countdown. */
    String backendField(String pool, String id, String field) {
        return text(backend(pool, id) + " [data-field=\"" + field + "\"]");
    }

    static String route(String name) {
        return "tr.route[data-route=\"" + name + "\"]";
    }

    String message() {
        return text("#message");
    }

    // ---- waiting ----------------------------------------------------------------------------------

    void awaitShown(String css) {
        Await.until(css + " shown", PAGE_TIMEOUT, () -> shown(css));
    }

    void awaitText(String what, String css, String expected) {
        Await.until(what + " to read \"" + expected + "\" (reads \"" + text(css) + "\")", PAGE_TIMEOUT,
                () -> text(css).equals(expected));
    }

    void awaitBackendField(String pool, String id, String field, String expected) {
        String css = backend(pool, id) + " [data-field=\"" + field + "\"]";
        awaitText(pool + "/" + id + " " + field, css, expected);
    }

    /** Waits for the page to show a message containing {@code expected}, and returns it whole. */
    String awaitMessage(String expected) {
        Await.until("the message \"" + expected + "\" (shows \"" + message() + "\")", PAGE_TIMEOUT,
                () -> message().contains(expected));
        return message();
    }

    /** Waits until the page has shown at least one more reading of the summary. */
    void awaitRefresh() {
        String before = text("#server-time");
        long deadline = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        Await.until("the page to refresh", PAGE_TIMEOUT,
                () -> !text("#server-time").equals(before) && System.nanoTime() > deadline);
    }

    // ---- acting -----------------------------------------------------------------------------------

    /** Goes to another page in the same window. */
    void visit(URI page) {
        driver.get(page.toString());
    }

    void click(String css) {
        awaitShown(css);
        Await.until("to click " + css, PAGE_TIMEOUT, () -> {
            try {
                WebElement target = driver.findElement(By.cssSelector(css));
                if (!target.isEnabled()) {
                    return false;
                }
                target.click();
                return true;
            } catch (WebDriverException replacedMeanwhile) {
                return false;
            }
        });
    }

    /**
     * Replaces what the input holds with {@code text}. WebDriver's clear fires no input event and leaves the
     * field unfocused, so a page refresh may land between the clear and the keys: the page must not write
     * its value back then, and this checks that it did not.
     */
    void type(String css, String text) {
        awaitShown(css);
        WebElement input = driver.findElement(By.cssSelector(css));
        input.clear();
        input.sendKeys(text);
        assertEquals(text, input.getDomProperty("value"), css + " holds what was typed");
    }

    /**
     * As {@link #type}, with a page refresh between the clear and the keys: the interleaving that made the
     * page write its old value back under the edit (so that "80" became "10080").
     */
    void typeAcrossARefresh(String css, String text) {
        awaitShown(css);
        WebElement input = driver.findElement(By.cssSelector(css));
        input.clear();
        awaitRefresh();
        input.sendKeys(text);
        assertEquals(text, input.getDomProperty("value"), css + " holds what was typed, the refresh notwithstanding");
    }

    /** Reloads the page, as an operator opening it in the middle of a deploy would. */
    void reload() {
        driver.navigate().refresh();
    }

    /** Runs {@code script} in the page; returns what it returns. */
    Object script(String script) {
        return driver.executeScript(script);
    }

    /** Clicks a backend's control, e.g. {@code drain}, {@code enable}, {@code set-weight}. */
    void clickBackendAction(String pool, String id, String action) {
        click(backend(pool, id) + " button[data-action=\"" + action + "\"]");
    }

    /** Answers the page's confirmation dialog, checking it asks about {@code about}. */
    void answerConfirmation(String about, boolean confirm) {
        awaitShown("#confirm");
        Await.until("the confirmation to mention \"" + about + "\" (it says \"" + text("#confirm-text") + "\")",
                PAGE_TIMEOUT, () -> text("#confirm-text").contains(about));
        click(confirm ? "#confirm-ok" : "#confirm-cancel");
        Await.until("the confirmation to close", PAGE_TIMEOUT, () -> !shown("#confirm"));
    }

    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }
}
