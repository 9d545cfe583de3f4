package dev.turnout.proxy.control;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Where the operator's changes are kept: the state file alone ({@link FileStateStore}), or etcd
 * shared by a fleet of instances ({@link EtcdStateStore}). {@link RuntimeControl} calls in under
 * its lock; the store calls back on a thread of its own, never on an event loop.
 */
interface StateStore extends AutoCloseable {

    /** A state and the revision it was written at; 0 when it has never been shared. */
    record Versioned(RuntimeState state, long revision) {
    }

    /** A refused commit: another instance changed the state first. */
    final class Conflict extends RuntimeException {

        private static final long serialVersionUID = 1L;
        private final transient Versioned current;

        Conflict(Versioned current) {
            super("the shared state is at revision " + current.revision(), null, false, false);
            this.current = current;
        }

        /** The state as another instance left it. */
        Versioned current() {
            return current;
        }
    }

    /** A refused commit: the store cannot be reached, so nothing was saved; the message says so to an operator. */
    final class Unavailable extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** What the store needs from, and tells, the control plane. */
    interface Listener {

        /** A change made on another instance, or the state found on reconnecting. */
        void applied(Versioned shared);

        /** This instance runs the fleet's rollouts from now on, or no longer. */
        void leading(boolean leading);

        /** Requests in flight from this instance, per {@code pool/id}; read by a periodic task. */
        Map<String, Integer> localInflight();

        /** The revision of the state this instance routes by. */
        long appliedRevision();
    }

    /** The saved state laid over {@code configured}. */
    Versioned load(RuntimeState configured);

    /**
     * Saves {@code next} if the saved state is still at {@code expectedRevision}.
     *
     * @return the revision {@code next} was saved at
     * @throws Conflict when another instance changed the state since
     * @throws Unavailable when the store cannot be reached
     */
    long commit(RuntimeState next, long expectedRevision);

    /**
     * A reload put a new configuration in force: changes that arrive from now on (and conflicts) are laid over
     * {@code configured}, as {@link #load} laid the saved state over the first one.
     */
    void reconfigure(RuntimeState configured);

    /** Starts following the fleet; {@code campaign}: whether this instance may run rollouts. */
    void start(Listener listener, boolean campaign);

    /** Whether other instances share this state. */
    boolean shared();

    /** Whether the store can be reached (always, for a file). */
    boolean up();

    /** This instance's name in the fleet. */
    String instance();

    /**
     * The instances alive in the fleet, this one included (1 alone); read for every rate-limited request, so
     * cheap. The count last seen stands while the store cannot be reached.
     */
    int liveInstances();

    /** The other instances' in-flight counts for {@code pool/id}, per instance. */
    Map<String, Integer> othersInflight(String backend);

    /**
     * Completes once every other live instance has applied {@code revision} (a drain, say) and has
     * nothing in flight to {@code pool/id}.
     */
    CompletionStage<Void> whenOthersIdle(String backend, long revision);

    @Override
    void close();
}
