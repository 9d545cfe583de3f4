package dev.turnout.proxy.cache;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * The answer a stored response makes for one request: whole, one byte range of it (206 or 416),
 * or 304 to the client's own conditional request, labelled with {@code Age}, {@code X-Cache} and
 * {@code Cache-Status}.
 */
final class StoredAnswers {

    /** The fields a 304 made from a stored answer carries (RFC 9110 15.4.5). */
    private static final Set<AsciiString> NOT_MODIFIED_HEADERS = Set.of(HttpHeaderNames.CACHE_CONTROL,
            HttpHeaderNames.CONTENT_LOCATION, HttpHeaderNames.DATE, HttpHeaderNames.ETAG, HttpHeaderNames.EXPIRES,
            HttpHeaderNames.VARY);
    private static final long[] UNSATISFIABLE = new long[0];

    private StoredAnswers() {
    }

    /** @param status what Cache-Status says after the cache's name and before the ttl */
    static FullHttpResponse answer(CachedResponse stored, HttpRequest request, long now, ResponseCache.Result result,
            String status, boolean statusHeader) {
        HttpHeaders requestHeaders = request.headers();
        if (notModified(stored, requestHeaders)) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
            for (AsciiString name : NOT_MODIFIED_HEADERS) {
                List<String> values = stored.headers().getAll(name);
                if (!values.isEmpty()) {
                    response.headers().set(name, values);
                }
            }
            response.headers().set(HttpHeaderNames.AGE, String.valueOf(stored.ageSeconds(now)))
                    .set(ResponseCache.X_CACHE, result.header);
            labelStored(response, stored, now, status, statusHeader);
            return response;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        byte[] body = stored.body();
        long[] range = head ? null : byteRange(requestHeaders, stored);
        FullHttpResponse response;
        if (range == UNSATISFIABLE) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
            response.headers().set(stored.headers()).set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + body.length)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        } else if (range != null) {
            int length = (int) (range[1] - range[0] + 1);
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT,
                    Unpooled.wrappedBuffer(body, (int) range[0], length));
            response.headers().set(stored.headers())
                    .set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range[0] + "-" + range[1] + "/" + body.length)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(stored.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            response.headers().set(stored.headers()).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        response.headers()
                .set(HttpHeaderNames.AGE, String.valueOf(stored.ageSeconds(now)))
                .set(ResponseCache.X_CACHE, result.header);
        labelStored(response, stored, now, status, statusHeader);
        return response;
    }

    /** Cache-Status for an answer made from a stored one: a negative ttl says it is stale (RFC 9211 2.4). */
    private static void labelStored(HttpResponse response, CachedResponse stored, long now, String status,
            boolean statusHeader) {
        if (statusHeader) {
            response.headers().set(ResponseCache.CACHE_STATUS, "Turnout; " + status + "; ttl=" + (stored.lifetimeSeconds()
                    - stored.ageSeconds(now)));
        }
    }

    /**
     * The one byte range a request asks of a stored 200 (RFC 9110 14.2), as {first, last};
     * {@link #UNSATISFIABLE} when it starts past the end; null to answer whole: no Range, several
     * ranges, another unit, a syntax error, or an {@code If-Range} the entry does not match.
     */
    private static long[] byteRange(HttpHeaders request, CachedResponse stored) {
        String range = request.get(HttpHeaderNames.RANGE);
        if (range == null || stored.status() != 200) {
            return null;
        }
        String ifRange = request.get(HttpHeaderNames.IF_RANGE);
        if (ifRange != null) {
            String etag = stored.headers().get(HttpHeaderNames.ETAG);
            String lastModified = stored.headers().get(HttpHeaderNames.LAST_MODIFIED);
            boolean strongMatch = etag != null && !etag.startsWith("W/") && ifRange.trim().equals(etag);
            if (!strongMatch && !ifRange.trim().equals(lastModified)) {
                return null;
            }
        }
        String spec = range.trim();
        if (!spec.regionMatches(true, 0, "bytes=", 0, 6) || spec.indexOf(',') >= 0) {
            return null;
        }
        String bounds = spec.substring(6).trim();
        int dash = bounds.indexOf('-');
        long length = stored.body().length;
        try {
            String from = bounds.substring(0, Math.max(dash, 0)).trim();
            String to = dash < 0 ? "" : bounds.substring(dash + 1).trim();
            if (dash < 0 || (from.isEmpty() && to.isEmpty()) || from.startsWith("-") || to.startsWith("-")) {
                return null;
            }
            if (from.isEmpty()) {
                long suffix = Long.parseLong(to);
                return suffix == 0 || length == 0 ? UNSATISFIABLE : new long[] {Math.max(0, length - suffix), length - 1};
            }
            long first = Long.parseLong(from);
            long last = to.isEmpty() ? Long.MAX_VALUE : Long.parseLong(to);
            if (last < first) {
                return null;
            }
            return first >= length ? UNSATISFIABLE : new long[] {first, Math.min(last, length - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A client's own conditional request, answered from a fresh entry (RFC 9110 13.1.1, 13.1.3). */
    private static boolean notModified(CachedResponse stored, HttpHeaders request) {
        String etag = stored.headers().get(HttpHeaderNames.ETAG);
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            if (etag == null) {
                return false;
            }
            for (String candidate : ifNoneMatch.split(",")) {
                String tag = candidate.trim();
                if (tag.equals("*") || weak(tag).equals(weak(etag))) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        String lastModified = stored.headers().get(HttpHeaderNames.LAST_MODIFIED);
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(lastModified);
        return since != null && modified != null && !modified.after(since);
    }

    private static String weak(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }
}
