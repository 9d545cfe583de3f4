package dev.turnout.proxy.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class InterimAnswersTest {

    private static HttpRequest request(boolean expectContinue) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/file");
        if (expectContinue) {
            request.headers().set(HttpHeaderNames.EXPECT, "100-continue");
        }
        return request;
    }

    private static HttpResponse interim(int status) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        response.headers().set("link", "</a.css>; rel=preload").set(HttpHeaderNames.CONNECTION, "x-hop")
                .set("x-hop", "1").set(HttpHeaderNames.CONTENT_LENGTH, 4);
        return response;
    }

    @Test
    void earlyHintsAreRelayedWithoutHopByHopFields() {
        InterimAnswers interims = new InterimAnswers();
        interims.begin(request(false));
        FullHttpResponse relayed = interims.relay(interim(103), false);
        assertNotNull(relayed);
        assertEquals(103, relayed.status().code());
        assertEquals("</a.css>; rel=preload", relayed.headers().get("link"));
        assertFalse(relayed.headers().contains("x-hop"));
        assertFalse(relayed.headers().contains(HttpHeaderNames.CONNECTION));
        assertFalse(relayed.headers().contains(HttpHeaderNames.CONTENT_LENGTH), "an interim answer has no body");
        relayed.release();
    }

    @Test
    void continueGoesOnlyToAClientThatAskedAndOnlyOnce() {
        InterimAnswers interims = new InterimAnswers();
        interims.begin(request(false));
        assertNull(interims.relay(interim(100), false), "unasked");
        interims.begin(request(true));
        FullHttpResponse first = interims.relay(interim(100), false);
        assertNotNull(first);
        first.release();
        assertNull(interims.relay(interim(100), false), "once");
    }

    @Test
    void anHttp10ClientGetsNone() {
        InterimAnswers interims = new InterimAnswers();
        interims.begin(request(true));
        assertNull(interims.relay(interim(103), true));
        assertNull(interims.relay(interim(100), true));
    }

    @Test
    void aFloodOfInterimAnswersIsCut() {
        InterimAnswers interims = new InterimAnswers();
        interims.begin(request(false));
        for (int i = 0; i < InterimAnswers.MAX_RELAYED; i++) {
            interims.relay(interim(103), false).release();
        }
        assertNull(interims.relay(interim(103), false));
        interims.begin(request(false));
        FullHttpResponse again = interims.relay(interim(102), false);
        assertNotNull(again, "counted per exchange");
        again.release();
    }
}
