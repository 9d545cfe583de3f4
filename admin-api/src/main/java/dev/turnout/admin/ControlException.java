package dev.turnout.admin;

/** A refused change or an unknown name; the message is shown to the caller as {@code error}. */
public final class ControlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, with the HTTP status the admin API answers. */
    public enum Kind {
        BAD_REQUEST(400), NOT_FOUND(404), CONFLICT(409), UNSUPPORTED_MEDIA_TYPE(415);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Kind kind;

    public ControlException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
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
}
