package dev.turnout.proxy.exchange;

import java.util.Locale;

/** Checks and rewrites of a request's target and Host (RFC 9112 3.2, RFC 3986 3.2.2). */
final class RequestTarget {

    // reg-name: unreserved, pct-encoded and sub-delims (RFC 3986 3.2.2)
    private static final boolean[] REG_NAME = new boolean[128];

    static {
        for (char c : ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=").toCharArray()) {
            REG_NAME[c] = true;
        }
    }

    private RequestTarget() {
    }

    /** Whether {@code host} is {@code uri-host [":" port]}: no spaces, userinfo, paths or lists with spaces. */
    static boolean validHost(String host) {
        int end = host.length();
        int i = 0;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (i = 1; i < close; i++) {
                char c = host.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            while (i < end && host.charAt(i) != ':') {
                char c = host.charAt(i);
                if (c >= 128 || !REG_NAME[c]) {
                    return false;
                }
                i++;
            }
        }
        if (i == end) {
            return true;
        }
        if (host.charAt(i) != ':' || end - i - 1 > 5) {
            return false;
        }
        for (i = i + 1; i < end; i++) {
            if (!Character.isDigit(host.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** The authority of an absolute-form {@code http://} or {@code https://} target, or null if it is not one. */
    static String absoluteFormAuthority(String target) {
        String lower = target.length() > 8 ? target.substring(0, 8).toLowerCase(Locale.ROOT) : target.toLowerCase(Locale.ROOT);
        int start = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        if (start < 0) {
            return null;
        }
        int end = authorityEnd(target, start);
        String authority = target.substring(start, end);
        return authority.isEmpty() || authority.contains("@") ? null : authority;
    }

    /** The origin-form of an absolute-form target: its path and query, "/" when it has no path. */
    static String absoluteFormPath(String target) {
        int start = target.indexOf("://") + 3;
        int end = authorityEnd(target, start);
        String rest = target.substring(end);
        return rest.startsWith("/") ? rest : "/" + rest;
    }

    private static int authorityEnd(String target, int start) {
        int end = start;
        while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
            end++;
        }
        return end;
    }
}
