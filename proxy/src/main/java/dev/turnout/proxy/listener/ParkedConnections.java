package dev.turnout.proxy.listener;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keep-alive client connections between requests, held as little more than their socket, as nginx
 * and HAProxy hold theirs: a plain HTTP/1.1 connection that has been quiet for a while leaves its
 * channel, pipeline and exchange behind, and only its file descriptor stays watched on its event
 * loop, in about a sixth of the memory. When the client sends again (or hangs up), the connection
 * gets a new channel and pipeline on the same loop and reads what arrived as if it had never left;
 * if it stays quiet until its idle timeout it is closed, as before.
 *
 * <p>Only Netty's epoll channels can be parked: the socket leaves the channel by deregistering it
 * (which keeps the descriptor open) and comes back through the descriptor.
 */
final class ParkedConnections {

    private static final Logger LOG = LoggerFactory.getLogger(ParkedConnections.class);
    /** A loop that does not get to its parked connections this soon is stuck; shutdown goes on without it. */
    private static final long CLOSE_ALL_WAIT_MILLIS = 5_000;

    /** Gives a connection that comes back into service its options and pipeline, as its listener built them. */
    interface Resume {
        void connection(Channel connection);
    }

    /** One connection's way to be parked, as its listener would resume it. */
    interface Parking {
        /**
         * Parks the connection if it still can be once its socket is out of its event loop's epoll set;
         * otherwise the connection goes back in service as it was.
         *
         * @param betweenRequests asked again then: whether nothing of a request has been read or queued
         * @param parked          run once it is parked: whatever it kept between requests lets go of it
         */
        void park(Channel connection, long idleLeftNanos, BooleanSupplier betweenRequests, Runnable parked);
    }

    private final ChannelGroup connections;
    private final Set<Parked> parked = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** @param connections the listener's open connections, which a parked one leaves and a resumed one joins again */
    ParkedConnections(ChannelGroup connections) {
        this.connections = connections;
    }

    /** Whether connections on this channel type can be parked at all. */
    static boolean supports(Channel connection) {
        return connection instanceof EpollSocketChannel;
    }

    Parking parking(Resume resume) {
        return (connection, idleLeftNanos, betweenRequests, parked) ->
                park(connection, idleLeftNanos, betweenRequests, parked, resume);
    }

    /** How many connections are parked now. */
    int size() {
        return parked.size();
    }

    /**
     * Closes every parked connection and parks none from now on (shutdown); returns once they are closed. A
     * parked connection has been quiet for a while, so it is closed as an idle keep-alive connection is at
     * shutdown. Called off the event loops, which do the closing.
     */
    void closeAll() {
        closed = true;
        List<Future<?>> closing = new ArrayList<>();
        for (Parked p : parked) {
            try {
                closing.add(p.loop.submit(p::expire));
            } catch (RejectedExecutionException stopping) {
                // the loop closes it as it stops (Parked.close)
            }
        }
        for (Future<?> f : closing) {
            f.awaitUninterruptibly(CLOSE_ALL_WAIT_MILLIS);
        }
    }

    private void park(Channel connection, long idleLeftNanos, BooleanSupplier betweenRequests, Runnable whenParked,
            Resume resume) {
        if (!(connection instanceof EpollSocketChannel socket) || idleLeftNanos <= 0 || !parkable(connection)) {
            return;
        }
        IoEventLoop loop = (IoEventLoop) connection.eventLoop();
        // Out of the epoll set first (later in this loop, as Netty does it), with the handlers still in place:
        // bytes read before that are handled as ever, and the connection is then looked at again.
        connection.deregister().addListener((ChannelFutureListener) done -> {
            if (!done.isSuccess() || !connection.isOpen()) {
                connection.close();
                return;
            }
            if (!parkable(connection) || !betweenRequests.getAsBoolean()) {
                loop.register(connection); // back in service as it was
                return;
            }
            Parked p = new Parked(socket.fd(), loop, resume, ProxyProtocolSource.clientOf(connection));
            connections.remove(connection);
            whenParked.run();
            // The handlers leave: their timers stop, and none is left holding the channel.
            ChannelPipeline pipeline = connection.pipeline();
            while (pipeline.last() != null) {
                pipeline.removeLast();
            }
            p.watch(idleLeftNanos);
        });
    }

    /** Not shutting down, and the connection is open with nothing written to it still waiting to go, flushed or not. */
    private boolean parkable(Channel connection) {
        ChannelOutboundBuffer unsent = connection.unsafe().outboundBuffer();
        return !closed && connection.isActive() && unsent != null && unsent.totalPendingWriteBytes() == 0;
    }

    /** One parked connection: its socket, watched for the next bytes on its event loop, and its idle deadline. */
    private final class Parked implements EpollIoHandle, Runnable {

        private final FileDescriptor fd;
        private final IoEventLoop loop;
        private final Resume resume;
        private final String proxiedClient;
        private IoRegistration registration;
        private ScheduledFuture<?> expiry;

        Parked(FileDescriptor fd, IoEventLoop loop, Resume resume, String proxiedClient) {
            this.fd = fd;
            this.loop = loop;
            this.resume = resume;
            this.proxiedClient = proxiedClient;
        }

        void watch(long idleLeftNanos) {
            loop.register(this).addListener(registered -> {
                if (!registered.isSuccess()) {
                    closeSocket();
                    return;
                }
                registration = (IoRegistration) registered.getNow();
                try {
                    // Level-triggered: bytes that arrived meanwhile are reported at once.
                    registration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP));
                    expiry = loop.schedule(this, idleLeftNanos, TimeUnit.NANOSECONDS);
                } catch (RuntimeException e) {
                    LOG.debug("parking a connection: {}", e.toString());
                    registration.cancel();
                    closeSocket();
                    return;
                }
                parked.add(this);
                if (closed) {
                    expire(); // shutdown began meanwhile, and may have walked the set before this was in it
                }
            });
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        /** The client sent something or hung up: the connection comes back into service to read it. */
        @Override
        public void handle(IoRegistration ignored, IoEvent ioEvent) {
            if (!parked.remove(this)) {
                return;
            }
            expiry.cancel(false);
            registration.cancel(); // the loop's own handle on it, which keeps its count of registrations
            EpollSocketChannel connection;
            try {
                connection = new EpollSocketChannel(fd.intValue());
                if (proxiedClient != null) {
                    ProxyProtocolSource.remember(connection, proxiedClient);
                }
                resume.connection(connection);
            } catch (RuntimeException e) {
                LOG.debug("resuming a parked connection: {}", e.toString());
                closeSocket();
                return;
            }
            loop.register(connection).addListener((ChannelFutureListener) done -> {
                if (!done.isSuccess()) {
                    return; // Netty closed it
                }
                if (!connection.isActive()) {
                    connection.close(); // reset by the client meanwhile: the socket has an error pending
                    return;
                }
                connections.add(connection);
                if (closed) {
                    connection.pipeline().fireUserEventTriggered(ShutdownRequested.INSTANCE);
                }
            });
        }

        /** The idle timeout passed with the connection still parked. */
        @Override
        public void run() {
            expire();
        }

        void expire() {
            if (parked.remove(this)) {
                expiry.cancel(false);
                registration.cancel();
                closeSocket();
            }
        }

        /** The event loop is shutting down. */
        @Override
        public void close() {
            if (parked.remove(this)) {
                closeSocket();
            }
        }

        private void closeSocket() {
            try {
                fd.close();
            } catch (IOException e) {
                LOG.debug("closing a parked connection: {}", e.toString());
            }
        }
    }
}
