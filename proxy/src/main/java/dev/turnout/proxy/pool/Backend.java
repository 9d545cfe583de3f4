package dev.turnout.proxy.pool;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One application server. The instance is the backend's identity for the life of the process:
 * routing snapshots come and go, but the in-flight counter and the upstream connections pooled
 * for it stay attached to this object.
 */
public final class Backend {

    private final String poolName;
    private final String id;
    private final String address;
    private final InetSocketAddress socketAddress;
    private final int weight;
    private final AtomicInteger inflight = new AtomicInteger();

    public Backend(String poolName, String id, String address, InetSocketAddress socketAddress, int weight) {
        this.poolName = poolName;
        this.id = id;
        this.address = address;
        this.socketAddress = socketAddress;
        this.weight = weight;
    }

    public String poolName() {
        return poolName;
    }

    public String id() {
        return id;
    }

    /** The address as configured, for display. */
    public String address() {
        return address;
    }

    /** The address resolved at start-up, for connecting. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public int weight() {
        return weight;
    }

    /** Requests sent to this backend whose answer has not finished. */
    public int inflight() {
        return inflight.get();
    }

    public void requestStarted() {
        inflight.incrementAndGet();
    }

    public void requestFinished() {
        inflight.decrementAndGet();
    }

    @Override
    public String toString() {
        return poolName + "/" + id + "(" + address + ")";
    }
}
