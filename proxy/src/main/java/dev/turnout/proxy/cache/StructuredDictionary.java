package dev.turnout.proxy.cache;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A Structured Field Dictionary (RFC 8941 3.2), as much as a cache directive field needs: each
 * member's key and bare item value; parameters are parsed (so that a well-formed field is not
 * refused) and dropped. Integers come back as {@link Long}, booleans (and members without a
 * value) as {@link Boolean}, decimals as {@link Double}, strings, tokens and byte sequences as
 * {@link String}.
 */
final class StructuredDictionary {

    private final Map<String, Object> members;
    private final String text;
    private int at;

    private StructuredDictionary(String text) {
        this.text = text;
        this.members = new LinkedHashMap<>();
    }

    /** The dictionary in {@code text}, or null when it is not one. */
    static StructuredDictionary parse(String text) {
        StructuredDictionary d = new StructuredDictionary(text);
        return d.dictionary() ? d : null;
    }

    void forEach(BiConsumer<String, Object> action) {
        members.forEach(action);
    }

    private boolean dictionary() {
        skip(' ');
        while (at < text.length()) {
            String key = key();
            if (key == null) {
                return false;
            }
            Object value = Boolean.TRUE;
            if (peek() == '=') {
                at++;
                value = bareItem();
                if (value == null) {
                    return false;
                }
            }
            if (!parameters()) {
                return false;
            }
            members.put(key, value); // a repeated key: the last one wins (RFC 8941 4.2.2)
            skipOptionalWhitespace();
            if (at == text.length()) {
                return true;
            }
            if (text.charAt(at++) != ',') {
                return false;
            }
            skipOptionalWhitespace();
            if (at == text.length()) {
                return false; // a trailing comma
            }
        }
        return true;
    }

    private boolean parameters() {
        while (peek() == ';') {
            at++;
            skip(' ');
            if (key() == null) {
                return false;
            }
            if (peek() == '=') {
                at++;
                if (bareItem() == null) {
                    return false;
                }
            }
        }
        return true;
    }

    private String key() {
        int start = at;
        char first = peek();
        if (!(first >= 'a' && first <= 'z') && first != '*') {
            return null;
        }
        at++;
        while (at < text.length()) {
            char c = text.charAt(at);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*') {
                at++;
            } else {
                break;
            }
        }
        return text.substring(start, at);
    }

    private Object bareItem() {
        char c = peek();
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        if (c == '"') {
            return string();
        }
        if (c == '?') {
            at++;
            char flag = peek();
            at++;
            return flag == '1' ? Boolean.TRUE : flag == '0' ? Boolean.FALSE : null;
        }
        if (c == ':') {
            int end = text.indexOf(':', at + 1);
            if (end < 0 || !text.substring(at + 1, end).matches("[A-Za-z0-9+/=]*")) {
                return null;
            }
            String bytes = text.substring(at + 1, end);
            at = end + 1;
            return bytes;
        }
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*') {
            int start = at++;
            while (at < text.length() && "!#$%&'*+-.^_`|~:/".indexOf(text.charAt(at)) >= 0
                    || at < text.length() && Character.isLetterOrDigit(text.charAt(at)) && text.charAt(at) < 0x80) {
                at++;
            }
            return text.substring(start, at);
        }
        return null;
    }

    private Object number() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        int digits = 0;
        int dot = -1;
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c >= '0' && c <= '9') {
                digits++;
                at++;
            } else if (c == '.' && dot < 0) {
                dot = at++;
            } else {
                break;
            }
        }
        String n = text.substring(start, at);
        if (digits == 0 || (dot < 0 && digits > 15) || (dot >= 0 && (dot == at - 1 || digits > 15))) {
            return null;
        }
        return dot < 0 ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
    }

    private String string() {
        StringBuilder out = new StringBuilder();
        at++;
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '\\') {
                if (at == text.length() || (text.charAt(at) != '"' && text.charAt(at) != '\\')) {
                    return null;
                }
                out.append(text.charAt(at++));
            } else if (c == '"') {
                return out.toString();
            } else if (c < 0x20 || c > 0x7e) {
                return null;
            } else {
                out.append(c);
            }
        }
        return null; // no closing quote
    }

    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private void skip(char c) {
        while (at < text.length() && text.charAt(at) == c) {
            at++;
        }
    }

    private void skipOptionalWhitespace() {
        while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
            at++;
        }
    }
}
