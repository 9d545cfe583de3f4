package dev.turnout.proxy.it;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An application server for the process-level tests, in the test JVM, on plain blocking sockets
 * (one thread per connection, keep-alive). Bodies stream through and are never held:
 * <ul>
 *   <li>{@code GET /download?bytes=N[&chunked=true]}: N {@link PatternBytes}, with Content-Length or chunked;</li>
 *   <li>{@code POST /upload}: reads the body (Content-Length or chunked) and answers its
 *       {@linkplain PatternBytes.Tally#summary() byte count and CRC32};</li>
 *   <li>{@code GET /hold?id=X[&bytes=N]}: answers with N pattern bytes only once the test calls
 *       {@link Hold#release()};</li>
 *   <li>anything else: 200 {@code ok}.</li>
 * </ul>
 * A request whose query has {@code id=X} for a registered {@link #hold(String) hold} signals
 * {@link Hold#awaitArrival} as soon as its head has arrived, whatever its path.
 */
final class StreamingBackend implements AutoCloseable {

    private static final int BUFFER = 64 * 1024;
    private static final Duration MAX_HOLD = Duration.ofMinutes(2);

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "streaming-backend");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, Hold> holds = new ConcurrentHashMap<>();

    private StreamingBackend(ServerSocket server) {
        this.server = server;
    }

    static StreamingBackend start() throws IOException {
        StreamingBackend backend = new StreamingBackend(new ServerSocket(0, 128, InetAddress.getLoopbackAddress()));
        backend.threads.execute(backend::acceptLoop);
        return backend;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Registers a gate for requests with {@code id=<id>} in their query. */
    Hold hold(String id) {
        Hold hold = new Hold();
        holds.put(id, hold);
        return hold;
    }

    @Override
    public void close() throws IOException {
        server.close();
        holds.values().forEach(Hold::release);
        for (Socket s : open) {
            s.close();
        }
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            open.add(socket);
            threads.execute(() -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), BUFFER);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
            while (serveOne(in, out)) {
                out.flush();
            }
            out.flush();
        } catch (SocketException ignored) {
            // the peer (the proxy) closed or reset the connection
        } catch (IOException ignored) {
            // a broken exchange: the test that caused it sees the failure through the proxy
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    /** Serves one exchange; false when the connection is to close. */
    private boolean serveOne(InputStream in, OutputStream out) throws IOException, InterruptedException {
        String requestLine = HttpWire.readLine(in);
        if (requestLine == null) {
            return false;
        }
        String[] parts = requestLine.split(" ");
        if (parts.length != 3) {
            throw new IOException("bad request line: " + requestLine);
        }
        String method = parts[0];
        String target = parts[1];
        Map<String, String> headers = HttpWire.readHeaders(in);
        InputStream body = HttpWire.body(in, headers, false);
        boolean keepAlive = !"close".equalsIgnoreCase(headers.getOrDefault("connection", ""));
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        Map<String, String> params = params(query < 0 ? "" : target.substring(query + 1));
        Hold hold = holds.get(params.getOrDefault("id", ""));
        if (hold != null) {
            hold.arrived.countDown();
        }

        switch (method + " " + path) {
            case "GET /download" -> {
                body.transferTo(OutputStream.nullOutputStream());
                sendPattern(out, Long.parseLong(params.getOrDefault("bytes", "0")),
                        Boolean.parseBoolean(params.get("chunked")), keepAlive);
            }
            case "POST /upload" -> {
                String summary = new PatternBytes.Tally().consume(body).summary();
                sendText(out, 200, summary + "\n", keepAlive);
            }
            case "GET /hold" -> {
                body.transferTo(OutputStream.nullOutputStream());
                if (hold == null) {
                    sendText(out, 404, "no hold registered with that id\n", keepAlive);
                    break;
                }
                if (!hold.released.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
                sendPattern(out, Long.parseLong(params.getOrDefault("bytes", "0")), false, keepAlive);
            }
            default -> {
                body.transferTo(OutputStream.nullOutputStream());
                sendText(out, 200, "ok\n", keepAlive);
            }
        }
        return keepAlive;
    }

    private static void sendPattern(OutputStream out, long length, boolean chunked, boolean keepAlive) throws IOException {
        String framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + length;
        HttpWire.writeAscii(out, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" + framing + "\r\n"
                + (keepAlive ? "" : "Connection: close\r\n") + "\r\n");
        if (chunked) {
            HttpWire.ChunkedOutputStream chunks = new HttpWire.ChunkedOutputStream(out);
            PatternBytes.write(chunks, length);
            chunks.finish();
        } else {
            PatternBytes.write(out, length);
        }
    }

    private static void sendText(OutputStream out, int status, String text, boolean keepAlive) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        HttpWire.writeAscii(out, "HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found")
                + "\r\nContent-Type: text/plain\r\nContent-Length: " + bytes.length + "\r\n"
                + (keepAlive ? "" : "Connection: close\r\n") + "\r\n");
        out.write(bytes);
    }

    private static Map<String, String> params(String query) {
        Map<String, String> params = new HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(pair.substring(0, eq).toLowerCase(Locale.ROOT), pair.substring(eq + 1));
            }
        }
        return params;
    }

    /** A response the test holds back: the backend has the request, but answers only when released. */
    static final class Hold {

        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        /** Waits until the backend has received the held request; false if {@code timeout} ran out. */
        boolean awaitArrival(Duration timeout) throws InterruptedException {
            return arrived.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        void release() {
            released.countDown();
        }
    }
}
