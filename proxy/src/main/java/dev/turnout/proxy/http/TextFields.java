package dev.turnout.proxy.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Date;
import java.util.List;

/**
 * Header fields kept as the text they arrived as (an HTTP/1.1 head's bytes, an HTTP/2 request's decoded
 * fields), whose typed reads are that text parsed when asked: a value that does not parse reads as absent.
 */
public abstract class TextFields extends HttpHeaders {

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public abstract String get(CharSequence name);

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public abstract List<String> getAll(CharSequence name);

    @Override
    public Integer getInt(CharSequence name) {
        String value = get(name);
        try {
            return value == null ? null : Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer value = getInt(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Short getShort(CharSequence name) {
        Integer value = getInt(name);
        return value == null || value != value.shortValue() ? null : value.shortValue();
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short value = getShort(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String value = get(name);
        Date date = value == null ? null : DateFormatter.parseHttpDate(value);
        return date == null ? null : date.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long value = getTimeMillis(name);
        return value == null ? defaultValue : value;
    }
}
