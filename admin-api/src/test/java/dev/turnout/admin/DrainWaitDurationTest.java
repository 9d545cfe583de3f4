package dev.turnout.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How {@code ?wait=} reads: 30s, 500ms, 2m, a bare number of seconds; at most an hour. */
class DrainWaitDurationTest {

    @Test
    void readsSecondsMillisecondsAndMinutes() {
        assertEquals(Duration.ofSeconds(30), AdminRoutes.duration("wait", "30s"));
        assertEquals(Duration.ofMillis(500), AdminRoutes.duration("wait", "500ms"));
        assertEquals(Duration.ofMinutes(2), AdminRoutes.duration("wait", "2m"));
        assertEquals(Duration.ofSeconds(45), AdminRoutes.duration("wait", "45"));
        assertEquals(Duration.ZERO, AdminRoutes.duration("wait", "0s"));
        assertEquals(Duration.ofHours(1), AdminRoutes.duration("wait", "60m"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "abc", "s", "30 s", "1.5s", "-1s", "30S", "2h", "61m", "3601s", "3600001ms", "9999999999s"})
    void refusesAnythingElseAsABadRequest(String text) {
        ControlException e = assertThrows(ControlException.class, () -> AdminRoutes.duration("wait", text));

        assertEquals(ControlException.Kind.BAD_REQUEST, e.kind());
    }
}
