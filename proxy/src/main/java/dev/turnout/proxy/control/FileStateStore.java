package dev.turnout.proxy.control;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One instance alone: changes go to the state file (or nowhere, without one); it runs its own rollouts. */
final class FileStateStore implements StateStore {

    private final StateFile file;

    /** @param file null to keep changes in memory only */
    FileStateStore(StateFile file) {
        this.file = file;
    }

    @Override
    public Versioned load(RuntimeState configured) {
        return new Versioned(file == null ? configured : file.loadOver(configured), 0);
    }

    @Override
    public long commit(RuntimeState next, long expectedRevision) {
        if (file != null) {
            file.save(next);
        }
        return expectedRevision + 1;
    }

    @Override
    public void reconfigure(RuntimeState configured) {
        // nothing arrives from elsewhere to lay over it
    }

    @Override
    public void start(Listener listener, boolean campaign) {
        if (campaign) {
            listener.leading(true);
        }
    }

    @Override
    public boolean shared() {
        return false;
    }

    @Override
    public boolean up() {
        return true;
    }

    @Override
    public String instance() {
        return "local";
    }

    @Override
    public int liveInstances() {
        return 1;
    }

    @Override
    public Map<String, Integer> othersInflight(String backend) {
        return Map.of();
    }

    @Override
    public CompletionStage<Void> whenOthersIdle(String backend, long revision) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        // nothing held open
    }
}
