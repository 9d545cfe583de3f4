package dev.turnout.proxy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

class PathRewriteTest {

    @Test
    void stripsAPrefixAndKeepsTheQuery() {
        PathRewrite strip = PathRewrite.stripPrefix("/api");
        assertEquals("/users/7?expand=1", strip.apply("/api/users/7?expand=1"));
        assertEquals("/", strip.apply("/api"), "nothing left is the root");
        assertEquals("/?q", strip.apply("/api?q"));
        assertEquals("/x", strip.apply("/apix"), "a plain string prefix, as the route matched it");
        assertEquals("/other", strip.apply("/other"), "a path without the prefix passes unchanged");
        assertEquals("*", strip.apply("*"), "OPTIONS * has no path");
    }

    @Test
    void replacesTheFirstMatchOfARegex() {
        PathRewrite rewrite = PathRewrite.regex("^/old/(.*)$", "/new/$1");
        assertEquals("/new/a/b?x=%20y", rewrite.apply("/old/a/b?x=%20y"));
        assertEquals("/kept", rewrite.apply("/kept"));
        assertEquals("/v2/items", PathRewrite.regex("/v1/", "/v2/").apply("/v1/items"), "only the match is replaced");
        assertEquals("/items", PathRewrite.regex("^/v1", "").apply("/v1/items"));
        assertEquals("/x", PathRewrite.regex("^/(?<name>[a-z]+)/rest$", "${name}").apply("/x/rest"), "a leading / is added");
    }

    @Test
    void refusesRegexesThatDoNotCompileAndReplacementsThatCannotWork() {
        assertThrows(PatternSyntaxException.class, () -> PathRewrite.regex("^/old/(", "/new"));
        assertTrue(PathRewrite.replacementProblem(Pattern.compile("^/(a)"), "/$2").contains("$0 to $1"));
        assertTrue(PathRewrite.replacementProblem(Pattern.compile("^/(a)"), "/${b}").contains("named group"));
        assertTrue(PathRewrite.replacementProblem(Pattern.compile("^/"), "/a?b").contains("query"));
        assertTrue(PathRewrite.replacementProblem(Pattern.compile("^/"), "/a b").contains("spaces"));
        assertTrue(PathRewrite.replacementProblem(Pattern.compile("^/"), "/cost$").contains("group references"));
        assertNull(PathRewrite.replacementProblem(Pattern.compile("^/(a)(?<b>c)"), "/$1/${b}/$0"));
        assertThrows(IllegalArgumentException.class, () -> PathRewrite.stripPrefix("api"));
    }
}
