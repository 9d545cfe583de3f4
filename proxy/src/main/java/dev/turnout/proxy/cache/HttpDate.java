package dev.turnout.proxy.cache;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP-date (RFC 9110 5.6.7), strictly: the three formats a recipient must accept and nothing
 * else. A cache must treat an {@code Expires} it cannot parse as already expired (RFC 9111 5.3),
 * so leniency here would keep answers fresh that their origin did not mean to be.
 */
final class HttpDate {

    private static final String DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
    private static final String MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    private static final String TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
    // Sun, 06 Nov 1994 08:49:37 GMT
    private static final Pattern IMF_FIXDATE = Pattern.compile(DAY + ", (\\d{2}) " + MONTH + " (\\d{4}) " + TIME + " GMT");
    // Sunday, 06-Nov-94 08:49:37 GMT
    private static final Pattern RFC850 = Pattern.compile(
            "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-" + MONTH + "-(\\d{2}) " + TIME + " GMT");
    // Sun Nov  6 08:49:37 1994
    private static final Pattern ASCTIME = Pattern.compile(DAY + " " + MONTH + " ([ \\d]\\d) " + TIME + " (\\d{4})");
    private static final List<String> MONTHS = List.of("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
            "Oct", "Nov", "Dec");

    private HttpDate() {
    }

    /** Epoch milliseconds, or {@link Long#MIN_VALUE} when {@code text} is not an HTTP-date. */
    static long parse(String text) {
        Matcher m = IMF_FIXDATE.matcher(text);
        if (m.matches()) {
            return millis(Integer.parseInt(m.group(4)), m.group(3), m.group(2), m, 5);
        }
        m = RFC850.matcher(text);
        if (m.matches()) {
            // A two-digit year more than 50 years ahead is in the past century (RFC 9110 5.6.7).
            int yy = Integer.parseInt(m.group(4));
            int thisYear = LocalDateTime.now(ZoneOffset.UTC).getYear();
            int year = thisYear / 100 * 100 + yy;
            if (year > thisYear + 50) {
                year -= 100;
            }
            return millis(year, m.group(3), m.group(2), m, 5);
        }
        m = ASCTIME.matcher(text);
        if (m.matches()) {
            return millis(Integer.parseInt(m.group(7)), m.group(2), m.group(3).trim(), m, 4);
        }
        return Long.MIN_VALUE;
    }

    /** Of the only field line among {@code values}; {@link Long#MIN_VALUE} when there is none or several. */
    static long parseSingle(List<String> values) {
        return values.size() == 1 ? parse(values.get(0)) : Long.MIN_VALUE;
    }

    private static long millis(int year, String month, String day, Matcher time, int firstTimeGroup) {
        try {
            return LocalDateTime.of(year, MONTHS.indexOf(month) + 1, Integer.parseInt(day),
                    Integer.parseInt(time.group(firstTimeGroup)), Integer.parseInt(time.group(firstTimeGroup + 1)),
                    Integer.parseInt(time.group(firstTimeGroup + 2))).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeException e) {
            return Long.MIN_VALUE; // 31 Feb, 25:00 and the like
        }
    }
}
