package dev.turnout.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small authoritative DNS server on a loopback UDP port, for discovery tests: it answers A, AAAA and SRV questions
 * from records the test changes as it goes, all with one TTL; NXDOMAIN for a name it has no record for, and an empty
 * answer (no data) for a name it knows with none of the type asked. It can be stopped, and started again on its port.
 */
public final class TestDnsServer implements AutoCloseable {

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-dns", true),
            NioIoHandler.newFactory());

    /** One SRV record's data. */
    public record Srv(int priority, int weight, int port, String target) {
    }

    private final Map<String, List<InetAddress>> addresses = new ConcurrentHashMap<>();
    private final Map<String, List<Srv>> services = new ConcurrentHashMap<>();
    private final AtomicInteger questions = new AtomicInteger();
    private volatile long ttlSeconds = 1;
    private volatile DnsResponseCode failWith;
    private final int port;
    private Channel channel;

    private TestDnsServer(int port) throws InterruptedException {
        this.channel = bind(port);
        this.port = ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** A server on a free loopback port. */
    public static TestDnsServer start() throws InterruptedException {
        return new TestDnsServer(0);
    }

    /** {@code 127.0.0.1:port}, as an entry of {@code turnout.dns.resolvers}. */
    public String resolver() {
        return "127.0.0.1:" + port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** {@code name}'s A and AAAA records from now on (none: the name has no address records). */
    public TestDnsServer addresses(String name, String... ips) {
        List<InetAddress> list = new ArrayList<>();
        for (String ip : ips) {
            try {
                list.add(InetAddress.getByName(ip));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(ip, e);
            }
        }
        addresses.put(normalized(name), List.copyOf(list));
        return this;
    }

    /** {@code name}'s SRV records from now on. */
    public TestDnsServer services(String name, Srv... records) {
        services.put(normalized(name), List.of(records));
        return this;
    }

    /** The TTL of every record answered from now on. */
    public TestDnsServer ttl(long seconds) {
        this.ttlSeconds = seconds;
        return this;
    }

    /** Every answer from now on is this error (SERVFAIL, say); null answers again. */
    public TestDnsServer failWith(DnsResponseCode code) {
        this.failWith = code;
        return this;
    }

    /** Questions received so far. */
    public int questions() {
        return questions.get();
    }

    /** Stops answering: the port is closed, so questions go unanswered until {@link #restart}. */
    public synchronized void stop() throws InterruptedException {
        channel.close().sync();
    }

    /** Answers again, on the same port. */
    public synchronized void restart() throws InterruptedException {
        channel = bind(port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private Channel bind(int onPort) throws InterruptedException {
        return new Bootstrap().group(GROUP).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Answering());
                    }
                })
                .bind("127.0.0.1", onPort).sync().channel();
    }

    private static String normalized(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private final class Answering extends SimpleChannelInboundHandler<DatagramDnsQuery> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            questions.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setAuthoritativeAnswer(true).setRecursionDesired(query.isRecursionDesired());
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            String name = normalized(question.name());
            List<InetAddress> ips = addresses.get(name);
            List<Srv> srvs = services.get(name);
            DnsResponseCode failure = failWith;
            if (failure != null) {
                response.setCode(failure);
            } else if (ips == null && srvs == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else if (question.type().equals(DnsRecordType.SRV) && srvs != null) {
                for (Srv srv : srvs) {
                    response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.SRV,
                            ttlSeconds, srvData(srv)));
                }
            } else if (ips != null && (question.type().equals(DnsRecordType.A) || question.type().equals(DnsRecordType.AAAA))) {
                int length = question.type().equals(DnsRecordType.A) ? 4 : 16;
                for (InetAddress ip : ips) {
                    if (ip.getAddress().length == length) {
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
                                ttlSeconds, Unpooled.wrappedBuffer(ip.getAddress())));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }

        /** RFC 2782's RDATA: priority, weight, port, then the target as uncompressed labels. */
        private static ByteBuf srvData(Srv srv) {
            ByteBuf data = Unpooled.buffer();
            data.writeShort(srv.priority()).writeShort(srv.weight()).writeShort(srv.port());
            for (String label : normalized(srv.target()).split("\\.")) {
                byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
                data.writeByte(bytes.length).writeBytes(bytes);
            }
            return data.writeByte(0);
        }
    }
}
