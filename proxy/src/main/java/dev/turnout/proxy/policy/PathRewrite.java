package dev.turnout.proxy.policy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The path a route's backend sees: a prefix stripped ({@code /api/users} → {@code /users}), or the first
 * match of a regular expression replaced ({@code ^/old/(.*)$} → {@code /new/$1}). The path is the
 * request target as sent (percent-encoded), up to its query; the query passes unchanged, and a path
 * that would not start with {@code /} gets one. Immutable.
 */
public final class PathRewrite {

    private static final Pattern GROUP_REFERENCE = Pattern.compile("\\$(?:([0-9]+)|\\{([A-Za-z][A-Za-z0-9]*)})");

    private final String stripPrefix;
    private final Pattern regex;
    private final String replacement;

    private PathRewrite(String stripPrefix, Pattern regex, String replacement) {
        this.stripPrefix = stripPrefix;
        this.regex = regex;
        this.replacement = replacement;
    }

    /** @param prefix starts with {@code /} */
    public static PathRewrite stripPrefix(String prefix) {
        if (!prefix.startsWith("/") || !validPathText(prefix)) {
            throw new IllegalArgumentException(prefix + ": a path starting with /");
        }
        return new PathRewrite(prefix, null, null);
    }

    /**
     * @throws PatternSyntaxException when {@code regex} does not compile
     * @throws IllegalArgumentException when {@code replacement} cannot be a path or names a group the regex lacks
     */
    public static PathRewrite regex(String regex, String replacement) {
        Pattern pattern = Pattern.compile(regex);
        String problem = replacementProblem(pattern, replacement);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new PathRewrite(null, pattern, replacement);
    }

    /** What is wrong with a replacement for {@code pattern}, or null. */
    static String replacementProblem(Pattern pattern, String replacement) {
        if (!validPathText(replacement)) {
            return "a path without spaces, control characters, ? or # (the query passes unchanged)";
        }
        int groups = pattern.matcher("").groupCount();
        Matcher reference = GROUP_REFERENCE.matcher(replacement);
        while (reference.find()) {
            if (reference.group(1) != null && Integer.parseInt(reference.group(1)) > groups) {
                return "group references $0 to $" + groups + " only (the regex has " + groups + " groups), not "
                        + reference.group();
            }
            if (reference.group(2) != null && !pattern.pattern().contains("(?<" + reference.group(2) + ">")) {
                return "a named group the regex has, not " + reference.group();
            }
        }
        String withoutReferences = GROUP_REFERENCE.matcher(replacement).replaceAll("");
        if (withoutReferences.indexOf('$') >= 0 || withoutReferences.indexOf('\\') >= 0) {
            return "$ only in group references ($1, ${name}), and no backslash";
        }
        return null;
    }

    private static boolean validPathText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '?' || c == '#') {
                return false;
            }
        }
        return true;
    }

    /** The request target the backend gets for {@code uri} (origin-form, or {@code *}, which is left alone). */
    public String apply(String uri) {
        if (!uri.startsWith("/")) {
            return uri;
        }
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        String rewritten;
        if (stripPrefix != null) {
            if (!path.startsWith(stripPrefix)) {
                return uri;
            }
            rewritten = path.substring(stripPrefix.length());
        } else {
            Matcher matcher = regex.matcher(path);
            if (!matcher.find()) {
                return uri;
            }
            StringBuilder out = new StringBuilder(path.length() + replacement.length());
            matcher.appendReplacement(out, replacement);
            matcher.appendTail(out);
            rewritten = out.toString();
        }
        if (!rewritten.startsWith("/")) {
            rewritten = "/" + rewritten;
        }
        return query < 0 ? rewritten : rewritten + uri.substring(query);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PathRewrite r && toString().equals(r.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** For the status page: {@code strip-prefix /api}, or {@code regex ^/old/(.*)$ -> /new/$1}. */
    @Override
    public String toString() {
        return stripPrefix != null ? "strip-prefix " + stripPrefix : "regex " + regex.pattern() + " -> " + replacement;
    }
}
