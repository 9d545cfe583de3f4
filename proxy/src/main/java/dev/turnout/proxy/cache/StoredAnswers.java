package dev.turnout.proxy.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * The answer a stored response makes for one request: whole, one byte range of it (206 or 416),
 * or 304 to the client's own conditional request, labelled with {@code Age}, {@code X-Cache} and
 * {@code Cache-Status}. An incomplete stored response answers only a range that one of its runs
 * holds ({@link #answersFromParts}).
 *
 * <p>A plain hit, what most hits are, takes a copy of the stored answer's prepared fields with
 * this second's labels: no field is parsed, formatted, converted or added per hit.
 */
final class StoredAnswers {

    /** The fields a 304 made from a stored answer carries (RFC 9110 15.4.5). */
    private static final Set<AsciiString> NOT_MODIFIED_HEADERS = Set.of(HttpHeaderNames.CACHE_CONTROL,
            HttpHeaderNames.CONTENT_LOCATION, HttpHeaderNames.DATE, HttpHeaderNames.ETAG, HttpHeaderNames.EXPIRES,
            HttpHeaderNames.VARY);
    /** The client's own conditions, which an incomplete answer leaves to the origin. */
    private static final List<AsciiString> CONDITIONS = List.of(HttpHeaderNames.IF_NONE_MATCH,
            HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE);
    private static final String HIT = "hit";

    private StoredAnswers() {
    }

    /** @param status what Cache-Status says after the cache's name and before the ttl */
    static FullHttpResponse answer(CachedResponse stored, HttpRequest request, long now, ResponseCache.Result result,
            String status, boolean statusHeader) {
        HttpHeaders requestHeaders = request.headers();
        if (!stored.complete()) {
            long[] range = ByteRanges.requested(requestHeaders.get(HttpHeaderNames.RANGE), stored.parts().length());
            PartialContent.Run run = stored.parts().holding(range[0], range[1]);
            return labelled(partial(stored, Unpooled.wrappedBuffer(run.bytes(), (int) (range[0] - run.first()),
                    (int) (range[1] - range[0] + 1)), range, stored.parts().length()), stored, now, result, status,
                    statusHeader);
        }
        if (notModified(stored, requestHeaders)) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
            for (AsciiString name : NOT_MODIFIED_HEADERS) {
                List<String> values = stored.headers().getAll(name);
                if (!values.isEmpty()) {
                    response.headers().set(name, values);
                }
            }
            return labelled(response, stored, now, result, status, statusHeader);
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        byte[] body = stored.body();
        long[] range = head ? null : byteRange(requestHeaders, stored);
        FullHttpResponse response;
        if (range == ByteRanges.UNSATISFIABLE) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
            response.headers().set(stored.headers()).set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + body.length)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        } else if (range != null) {
            response = partial(stored, Unpooled.wrappedBuffer(body, (int) range[0], (int) (range[1] - range[0] + 1)), range,
                    body.length);
        } else if (result == ResponseCache.Result.HIT && HIT.equals(status)) {
            return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, stored.responseStatus(),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), stored.hitHeaders(now, statusHeader),
                    EmptyHttpHeaders.INSTANCE);
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, stored.responseStatus(),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), stored.wholeAnswerHeaders(),
                    EmptyHttpHeaders.INSTANCE);
        }
        return labelled(response, stored, now, result, status, statusHeader);
    }

    /**
     * Whether an incomplete stored answer can answer {@code request}: a GET of one byte range that
     * one of its runs holds, without conditions of the client's own but an {@code If-Range} that
     * holds (RFC 9111 3.3: only a range wholly within it).
     */
    static boolean answersFromParts(CachedResponse stored, HttpRequest request) {
        HttpHeaders h = request.headers();
        String range = h.get(HttpHeaderNames.RANGE);
        if (range == null || !request.method().equals(HttpMethod.GET)) {
            return false;
        }
        for (AsciiString condition : CONDITIONS) {
            if (h.contains(condition)) {
                return false;
            }
        }
        String ifRange = h.get(HttpHeaderNames.IF_RANGE);
        if (ifRange != null && !Validators.ifRangeHolds(ifRange, stored.headers())) {
            return false;
        }
        long[] bounds = ByteRanges.requested(range, stored.parts().length());
        return bounds != null && bounds != ByteRanges.UNSATISFIABLE && stored.parts().holding(bounds[0], bounds[1]) != null;
    }

    /** 206 with bytes {@code range[0]} to {@code range[1]} of a representation of {@code length} bytes. */
    private static FullHttpResponse partial(CachedResponse stored, ByteBuf content, long[] range, long length) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT,
                content);
        response.headers().set(stored.headers())
                .set(HttpHeaderNames.CONTENT_RANGE, "bytes " + range[0] + "-" + range[1] + "/" + length)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    /** With {@code Age}, {@code X-Cache} and {@code Cache-Status}; none of them is stored, so each is added. */
    private static FullHttpResponse labelled(FullHttpResponse response, CachedResponse stored, long now,
            ResponseCache.Result result, String status, boolean statusHeader) {
        response.headers().add(HttpHeaderNames.AGE, stored.age(now)).add(ResponseCache.X_CACHE, result.header);
        if (statusHeader) {
            response.headers().add(ResponseCache.CACHE_STATUS,
                    HIT.equals(status) ? stored.hitStatus(now) : stored.cacheStatus(status, now));
        }
        return response;
    }

    /**
     * The one byte range a request asks of a stored 200 (RFC 9110 14.2), as {first, last};
     * {@link ByteRanges#UNSATISFIABLE} when it starts past the end; null to answer whole: no Range,
     * several ranges, another unit, a syntax error, or an {@code If-Range} that does not hold.
     */
    private static long[] byteRange(HttpHeaders request, CachedResponse stored) {
        String range = request.get(HttpHeaderNames.RANGE);
        if (range == null || stored.status() != 200) {
            return null;
        }
        String ifRange = request.get(HttpHeaderNames.IF_RANGE);
        if (ifRange != null && !Validators.ifRangeHolds(ifRange, stored.headers())) {
            return null;
        }
        return ByteRanges.requested(range, stored.body().length);
    }

    /** A client's own conditional request, answered from a fresh entry (RFC 9110 13.1.1, 13.1.3). */
    private static boolean notModified(CachedResponse stored, HttpHeaders request) {
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            String etag = stored.headers().get(HttpHeaderNames.ETAG);
            if (etag == null) {
                return false;
            }
            for (String candidate : ifNoneMatch.split(",")) {
                String tag = candidate.trim();
                if (tag.equals("*") || Validators.weakMatch(tag, etag)) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        if (ifModifiedSince == null) {
            return false;
        }
        String lastModified = stored.headers().get(HttpHeaderNames.LAST_MODIFIED);
        if (lastModified == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(lastModified);
        return since != null && modified != null && !modified.after(since);
    }
}
