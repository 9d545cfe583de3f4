package dev.turnout.proxy.discovery;

import dev.turnout.proxy.config.DiscoveryConfig;
import dev.turnout.proxy.config.Limits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Asks DNS for a discovery pool's endpoints through Netty's resolver, on an event loop of its own (never one that
 * serves traffic). Nothing is cached: every lookup asks the name servers, and the records' TTLs say when to ask again.
 *
 * <p>Type A asks for A and AAAA records. Type SRV asks for SRV records, keeps those of the lowest priority (the others
 * are backups DNS clients fall back on; Turnout's health checks do that job) and asks for each target's addresses;
 * an SRV weight becomes the backend's weight, from 1 to {@link Limits#MAX_WEIGHT} (0, "rarely", becomes 1).
 *
 * <p>A name with no such records answers with no endpoints. A name server that did not answer, or answered with an
 * error other than "no such name", fails the whole lookup, so that a partial answer never passes for the full one.
 */
public final class DnsLookup implements AutoCloseable {

    private final EventLoopGroup loop;
    private final DnsNameResolver resolver;

    /** @param resolvers the name servers to ask in order; empty for the system's ({@code /etc/resolv.conf}) */
    public DnsLookup(List<InetSocketAddress> resolvers) {
        this.loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("turnout-dns", true), NioIoHandler.newFactory());
        DnsServerAddressStreamProvider servers = resolvers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(resolvers);
        this.resolver = new DnsNameResolverBuilder(loop.next())
                .datagramChannelType(NioDatagramChannel.class)
                .socketChannelType(NioSocketChannel.class) // asks again over TCP when an answer comes truncated
                .nameServerProvider(servers)
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .build();
    }

    /** Looks {@code config}'s name up; completes on the resolver's thread, exceptionally when the lookup failed. */
    public CompletableFuture<Resolution> lookup(DiscoveryConfig config) {
        if (config.type() == DiscoveryConfig.Type.A) {
            return addresses(config.name()).thenApply(found -> {
                List<Endpoint> endpoints = new ArrayList<>();
                found.values().forEach(address -> endpoints.add(new Endpoint(new InetSocketAddress(address, config.port()), 1)));
                return new Resolution(endpoints, found.ttl());
            });
        }
        return services(config.name());
    }

    /** Records of one type, parsed, with the shortest TTL among them. */
    private record Answer<T>(List<T> values, long ttlSeconds) {

        Duration ttl() {
            return Duration.ofSeconds(values.isEmpty() ? 0 : ttlSeconds);
        }

        Answer<T> plus(Answer<T> other) {
            List<T> both = new ArrayList<>(values);
            both.addAll(other.values);
            return new Answer<>(both, Math.min(ttlSeconds, other.ttlSeconds));
        }
    }

    /** One SRV record's data. */
    private record Service(int priority, int weight, int port, String target) {
    }

    private CompletableFuture<Answer<InetAddress>> addresses(String name) {
        return query(name, DnsRecordType.A, DnsLookup::address)
                .thenCombine(query(name, DnsRecordType.AAAA, DnsLookup::address), Answer::plus);
    }

    private CompletableFuture<Resolution> services(String name) {
        return query(name, DnsRecordType.SRV, DnsLookup::service).thenCompose(found -> {
            int preferred = found.values().stream().mapToInt(Service::priority).min().orElse(0);
            List<Service> chosen = found.values().stream().filter(s -> s.priority() == preferred).toList();
            Map<String, CompletableFuture<Answer<InetAddress>>> targets = new LinkedHashMap<>();
            chosen.forEach(s -> targets.computeIfAbsent(s.target(), this::addresses));
            return CompletableFuture.allOf(targets.values().toArray(CompletableFuture[]::new)).thenApply(all -> {
                Map<String, Endpoint> endpoints = new LinkedHashMap<>();
                long ttl = found.ttlSeconds();
                for (Service s : chosen) {
                    Answer<InetAddress> addresses = targets.get(s.target()).join();
                    ttl = Math.min(ttl, addresses.ttlSeconds());
                    int weight = Math.max(1, Math.min(s.weight(), Limits.MAX_WEIGHT));
                    for (InetAddress address : addresses.values()) {
                        Endpoint endpoint = new Endpoint(new InetSocketAddress(address, s.port()), weight);
                        endpoints.putIfAbsent(endpoint.id(), endpoint);
                    }
                }
                return new Resolution(List.copyOf(endpoints.values()), Duration.ofSeconds(endpoints.isEmpty() ? 0 : ttl));
            });
        });
    }

    /** Resolves one question; the records are parsed and released on the resolver's thread. */
    private <T> CompletableFuture<Answer<T>> query(String name, DnsRecordType type, Function<ByteBuf, T> parse) {
        CompletableFuture<Answer<T>> answer = new CompletableFuture<>();
        resolver.resolveAll(new DefaultDnsQuestion(name, type)).addListener((Future<List<DnsRecord>> done) -> {
            if (!done.isSuccess()) {
                if (noSuchRecords(done.cause())) {
                    answer.complete(new Answer<>(List.of(), Long.MAX_VALUE));
                } else {
                    answer.completeExceptionally(done.cause());
                }
                return;
            }
            List<DnsRecord> records = done.getNow();
            try {
                List<T> values = new ArrayList<>();
                long ttl = Long.MAX_VALUE;
                for (DnsRecord record : records) {
                    T value = record.type().equals(type) && record instanceof DnsRawRecord raw
                            ? parse.apply(raw.content()) : null;
                    if (value != null) {
                        values.add(value);
                        ttl = Math.min(ttl, record.timeToLive());
                    }
                }
                answer.complete(new Answer<>(values, ttl));
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
        });
        return answer;
    }

    /** Whether a failed question means the name has no such records (NXDOMAIN, or no data), rather than no answer. */
    static boolean noSuchRecords(Throwable cause) {
        if (!(cause instanceof UnknownHostException) || DnsNameResolver.isTransportOrTimeoutError(cause)) {
            return false;
        }
        for (Throwable c = cause.getCause(); c != null; c = c.getCause()) {
            if (c instanceof DnsErrorCauseException error && !DnsResponseCode.NXDOMAIN.equals(error.getCode())) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress address(ByteBuf content) {
        int length = content.readableBytes();
        if (length != 4 && length != 16) {
            return null;
        }
        byte[] bytes = new byte[length];
        content.getBytes(content.readerIndex(), bytes);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            return null; // only for a length other than 4 or 16
        }
    }

    /** SRV data (RFC 2782): priority, weight, port, target; null for a malformed record or target "." (no service). */
    private static Service service(ByteBuf content) {
        ByteBuf in = content.duplicate();
        if (in.readableBytes() < 7) {
            return null;
        }
        int priority = in.readUnsignedShort();
        int weight = in.readUnsignedShort();
        int port = in.readUnsignedShort();
        String target;
        try {
            target = DefaultDnsRecordDecoder.decodeName(in);
        } catch (CorruptedFrameException | IndexOutOfBoundsException e) {
            return null;
        }
        return port == 0 || target.equals(".") ? null : new Service(priority, weight, port, target);
    }

    @Override
    public void close() {
        resolver.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
