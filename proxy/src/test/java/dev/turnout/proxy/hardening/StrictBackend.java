package dev.turnout.proxy.hardening;

import dev.turnout.proxy.testing.Await;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A backend on plain sockets that reads the proxy's requests byte by byte and checks each against
 * RFC 9112 itself, instead of through a (lenient) HTTP decoder: what it records is exactly what was
 * on the wire. A request whose head breaks a rule is recorded with its problems and its connection
 * is closed, like a strict server would; a well-formed one is read to its end (Content-Length or
 * chunked, strictly) and answered 200 with the body the test chooses.
 */
final class StrictBackend implements AutoCloseable {

    private static final int MAX_HEAD = 128 * 1024;
    private static final String TCHAR = "!#$%&'*+-.^_`|~";

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "strict-backend");
        t.setDaemon(true);
        return t;
    });
    private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
    private final Map<Integer, Socket> open = new ConcurrentHashMap<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Function<Exchange, String> answer;

    private StrictBackend(Function<Exchange, String> answer) throws IOException {
        this.answer = answer;
        this.server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Answers every well-formed request 200 with body "saw " + its target. */
    static StrictBackend start() throws IOException {
        return new StrictBackend(e -> "saw " + e.target());
    }

    static StrictBackend start(Function<Exchange, String> answer) throws IOException {
        return new StrictBackend(answer);
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The HOCON of one pool {@code app} with this backend behind a catch-all route. */
    String singlePool() {
        return "pools { app { backends = [ { id = b0, address = \"" + address() + "\", weight = 1 } ] } }\n"
                + "routes = [ { name = web, host = \"*\", path-prefix = \"/\", split { app = 100 } } ]";
    }

    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    int connectionCount() {
        return accepted.get();
    }

    int openConnectionCount() {
        return open.size();
    }

    /** Whether backend connection {@code id} (see {@link Exchange#connectionId()}) is still open. */
    boolean isOpen(int connectionId) {
        return open.containsKey(connectionId);
    }

    /** Waits until a request for {@code target} arrived completely, and returns it. */
    Exchange awaitComplete(String target) {
        Await.until("a complete request for " + target + " at the backend",
                () -> exchanges.stream().anyMatch(e -> e.complete() && e.target().equals(target)));
        return exchanges.stream().filter(e -> e.complete() && e.target().equals(target)).findFirst().orElseThrow();
    }

    /** Every request that reached the backend with a rule broken, as text (empty when none). */
    List<String> malformed() {
        List<String> bad = new ArrayList<>();
        for (Exchange e : exchanges) {
            if (!e.problems().isEmpty()) {
                bad.add(e.problems() + " in " + e.describe());
            }
        }
        return bad;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open.values()) {
            s.close();
        }
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                int id = accepted.incrementAndGet();
                open.put(id, s);
                threads.execute(() -> serve(s, id));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket, int connectionId) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (int index = 0; ; index++) {
                byte[] head = readHead(in);
                if (head == null) {
                    return;
                }
                Exchange e = new Exchange(connectionId, index, head);
                exchanges.add(e);
                Await.signal();
                if (!e.problems().isEmpty() || !e.readBody(in)) {
                    return;
                }
                e.complete = true;
                Await.signal();
                byte[] body = answer.apply(e).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException ignored) {
            // the proxy closed or reset the connection
        } finally {
            open.remove(connectionId);
            Await.signal();
        }
    }

    /** The bytes up to and including the empty line, or null at end of stream (partial heads are dropped). */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\n' && (matched == 1 || matched == 3)) || (b == '\r' && (matched == 0 || matched == 2))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
        }
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || TCHAR.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    /** One request as the backend read it: its raw head, the problems found in it, and its body. */
    static final class Exchange {

        private final int connectionId;
        private final int index;
        private final String rawHead;
        private final List<String> problems = new ArrayList<>();
        private final List<String[]> fields = new ArrayList<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private String method = "";
        private String target = "";
        private String version = "";
        private volatile boolean complete;

        Exchange(int connectionId, int index, byte[] head) {
            this.connectionId = connectionId;
            this.index = index;
            this.rawHead = new String(head, StandardCharsets.ISO_8859_1);
            parse();
        }

        int connectionId() {
            return connectionId;
        }

        int index() {
            return index;
        }

        String method() {
            return method;
        }

        String target() {
            return target;
        }

        String rawHead() {
            return rawHead;
        }

        boolean complete() {
            return complete;
        }

        synchronized String bodyText() {
            return body.toString(StandardCharsets.ISO_8859_1);
        }

        List<String> problems() {
            return Collections.unmodifiableList(problems);
        }

        /** Every value of this field (name case-insensitive), in order. */
        List<String> values(String name) {
            List<String> values = new ArrayList<>();
            for (String[] f : fields) {
                if (f[0].equalsIgnoreCase(name)) {
                    values.add(f[1]);
                }
            }
            return values;
        }

        String describe() {
            return "connection " + connectionId + " #" + index + (complete ? " (complete)" : " (incomplete)") + ":\n"
                    + escape(rawHead);
        }

        @Override
        public String toString() {
            return method + " " + target + " on connection " + connectionId + (complete ? "" : " (incomplete)");
        }

        private void parse() {
            String[] lines = rawHead.substring(0, rawHead.length() - 4).split("\r\n", -1);
            for (int i = 0; i < rawHead.length(); i++) {
                char c = rawHead.charAt(i);
                if (c == '\r' && (i + 1 >= rawHead.length() || rawHead.charAt(i + 1) != '\n')) {
                    problems.add("bare CR");
                } else if (c == '\n' && (i == 0 || rawHead.charAt(i - 1) != '\r')) {
                    problems.add("bare LF");
                } else if (c == 0x7f || c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
                    problems.add("control character 0x" + Integer.toHexString(c));
                }
            }
            requestLine(lines[0]);
            for (int i = 1; i < lines.length; i++) {
                field(lines[i]);
            }
            framing();
        }

        private void requestLine(String line) {
            String[] parts = line.split(" ", -1);
            if (parts.length != 3) {
                problems.add("request line is not method SP target SP version: " + escape(line));
                return;
            }
            method = parts[0];
            target = parts[1];
            version = parts[2];
            if (!isToken(method)) {
                problems.add("method is not a token: " + escape(method));
            }
            if (target.isEmpty() || !(target.startsWith("/") || target.equals("*"))) {
                problems.add("target is not in origin form: " + escape(target));
            }
            for (int i = 0; i < target.length(); i++) {
                char c = target.charAt(i);
                if (c <= 0x20 || c >= 0x7f) {
                    problems.add("target has a byte outside visible ASCII: " + escape(target));
                    break;
                }
            }
            if (!version.equals("HTTP/1.1")) {
                problems.add("version is not HTTP/1.1: " + escape(version));
            }
        }

        private void field(String line) {
            if (line.startsWith(" ") || line.startsWith("\t")) {
                problems.add("obs-fold line: " + escape(line));
                return;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                problems.add("field line without a name and colon: " + escape(line));
                return;
            }
            String name = line.substring(0, colon);
            if (!isToken(name)) {
                problems.add("field name is not a token: " + escape(name));
            }
            String value = line.substring(colon + 1).strip();
            fields.add(new String[] {name, value});
        }

        private void framing() {
            List<String> hosts = values("Host");
            if (hosts.size() != 1) {
                problems.add(hosts.size() + " Host fields");
            }
            List<String> lengths = values("Content-Length");
            List<String> codings = values("Transfer-Encoding");
            if (!lengths.isEmpty() && !codings.isEmpty()) {
                problems.add("both Content-Length and Transfer-Encoding");
            }
            if (lengths.size() > 1) {
                problems.add(lengths.size() + " Content-Length fields");
            }
            if (lengths.size() == 1 && !lengths.get(0).matches("[0-9]{1,15}")) {
                problems.add("Content-Length is not a number: " + escape(lengths.get(0)));
            }
            if (codings.size() > 1 || codings.size() == 1 && !codings.get(0).equalsIgnoreCase("chunked")) {
                problems.add("Transfer-Encoding is not exactly chunked: " + codings);
            }
        }

        /** Reads the body by the (already validated) framing; false when the stream or the framing broke. */
        boolean readBody(InputStream in) throws IOException {
            if (!values("Transfer-Encoding").isEmpty()) {
                return readChunked(in);
            }
            List<String> lengths = values("Content-Length");
            long length = lengths.isEmpty() ? 0 : Long.parseLong(lengths.get(0));
            return readFixed(in, length);
        }

        private boolean readFixed(InputStream in, long length) throws IOException {
            for (long i = 0; i < length; i++) {
                int b = in.read();
                if (b < 0) {
                    return false;
                }
                synchronized (this) {
                    body.write(b);
                }
            }
            return true;
        }

        private boolean readChunked(InputStream in) throws IOException {
            while (true) {
                String sizeLine = readLine(in);
                if (sizeLine == null) {
                    return false;
                }
                int semi = sizeLine.indexOf(';');
                String size = semi < 0 ? sizeLine : sizeLine.substring(0, semi);
                if (!size.matches("[0-9A-Fa-f]{1,8}")) {
                    problems.add("bad chunk size line: " + escape(sizeLine));
                    return false;
                }
                long n = Long.parseLong(size, 16);
                if (n == 0) {
                    for (String trailer = readLine(in); ; trailer = readLine(in)) {
                        if (trailer == null) {
                            return false;
                        }
                        if (trailer.isEmpty()) {
                            return true;
                        }
                        if (trailer.indexOf(':') <= 0) {
                            problems.add("bad trailer line: " + escape(trailer));
                            return false;
                        }
                    }
                }
                if (!readFixed(in, n)) {
                    return false;
                }
                String end = readLine(in);
                if (end == null) {
                    return false;
                }
                if (!end.isEmpty()) {
                    problems.add("chunk data not followed by CRLF");
                    return false;
                }
            }
        }

        /** A CRLF-terminated line, or null at end of stream; a bare LF or CR is a problem. */
        private String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                if (b == '\r') {
                    if (in.read() != '\n') {
                        problems.add("bare CR in chunked framing");
                        return null;
                    }
                    return line.toString();
                }
                if (b == '\n') {
                    problems.add("bare LF in chunked framing");
                    return null;
                }
                line.append((char) b);
                if (line.length() > 4096) {
                    problems.add("chunk line over 4096 bytes");
                    return null;
                }
            }
        }
    }

    /** Control characters made visible, for failure messages. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                out.append("\\r");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c >= 0x7f) {
                out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
