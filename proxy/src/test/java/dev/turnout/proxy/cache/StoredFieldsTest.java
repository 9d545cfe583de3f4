package dev.turnout.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fields of stored answers: updates by newer answers (RFC 9111 3.2), purge tags, Age (5.1). */
class StoredFieldsTest {

    @Test
    void aNewerAnswersFieldsReplaceTheStoredOnesButFramingAndHopByHop() {
        HttpHeaders stored = new DefaultHttpHeaders().add("Cache-Control", "max-age=1").add("X-Kept", "k")
                .add("X-Many", "1").add("X-Many", "2").add("Content-Type", "text/plain");
        HttpHeaders newer = new DefaultHttpHeaders().add("cache-control", "max-age=60").add("X-Many", "3")
                .add("Content-Length", "0").add("Content-Range", "bytes 0-1/10").add("Connection", "close")
                .add("Age", "5").add("X-Cache", "HIT").add("Cache-Status", "elsewhere");
        HttpHeaders updated = StoredFields.updated(stored, newer);
        assertEquals("max-age=60", updated.get("Cache-Control"));
        assertEquals(List.of("3"), updated.getAll("X-Many"), "every line of a name is replaced");
        assertEquals("k", updated.get("X-Kept"));
        for (String excluded : new String[] {"Content-Length", "Content-Range", "Connection", "Age", "X-Cache", "Cache-Status"}) {
            assertFalse(updated.contains(excluded), excluded);
        }
        assertEquals("max-age=1", stored.get("Cache-Control"), "the stored fields stay as they were");
    }

    @Test
    void tagsAreTakenOutOfTheFields() {
        HttpHeaders fields = new DefaultHttpHeaders().add("Surrogate-Key", "a  b").add("Cache-Tag", "c, d,,")
                .add("X-Other", "x");
        assertEquals(Set.of("a", "b", "c", "d"), StoredFields.takeTags(fields));
        assertEquals(1, fields.size());
    }

    @ParameterizedTest(name = "Age \"{0}\" is {1}")
    @CsvSource(delimiter = '|', textBlock = """
            7         | 7
            -1        | -1
            1.5       | -1
            old, 0    | -1
            """)
    void theAgeIsOneNonNegativeInteger(String age, long seconds) {
        assertEquals(seconds, StoredFields.ageSeconds(new DefaultHttpHeaders().add("Age", age)));
    }

    @Test
    void noAgeIsZeroAndTwoAreInvalid() {
        assertEquals(0, StoredFields.ageSeconds(new DefaultHttpHeaders()));
        assertEquals(-1, StoredFields.ageSeconds(new DefaultHttpHeaders().add("Age", "1").add("Age", "2")));
    }
}
