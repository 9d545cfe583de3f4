package dev.turnout.admin;

/** A refused change or an unknown name; the message is shown to the caller as {@code error}. */
public final class ControlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, with the HTTP status the admin API answers. */
    public enum Kind {
        BAD_REQUEST(400), NOT_FOUND(404), CONFLICT(409), UNSUPPORTED_MEDIA_TYPE(415),
        /** The shared state store cannot be reached; nothing was changed. */
        UNAVAILABLE(503);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Kind kind;
    private final transient Object current;

    public ControlException(Kind kind, String message) {
        this(kind, message, null);
    }

    private ControlException(Kind kind, String message, Object current) {
        super(message, null, false, false);
        this.kind = kind;
        this.current = current;
    }

    public Kind kind() {
        return kind;
    }

    /** What the refused change would have changed, as it stands now; null unless a conflict says so. */
    public Object current() {
        return current;
    }

    public static ControlException notFound(String message) {
        return new ControlException(Kind.NOT_FOUND, message);
    }

    public static ControlException badRequest(String message) {
        return new ControlException(Kind.BAD_REQUEST, message);
    }

    public static ControlException unsupportedMediaType(String message) {
        return new ControlException(Kind.UNSUPPORTED_MEDIA_TYPE, message);
    }

    public static ControlException conflict(String message) {
        return new ControlException(Kind.CONFLICT, message);
    }

    /** A conflict whose answer also shows the object as it now stands (another instance changed it first). */
    public static ControlException conflict(String message, Object current) {
        return new ControlException(Kind.CONFLICT, message, current);
    }

    public static ControlException unavailable(String message) {
        return new ControlException(Kind.UNAVAILABLE, message);
    }
}
