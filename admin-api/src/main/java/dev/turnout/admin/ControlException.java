package dev.turnout.admin;

import java.util.List;

/** A refused change or an unknown name; the message is shown to the caller as {@code error}. */
public final class ControlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, with the HTTP status the admin API answers. */
    public enum Kind {
        BAD_REQUEST(400), NOT_FOUND(404), CONFLICT(409), UNSUPPORTED_MEDIA_TYPE(415),
        /** A configuration that does not validate; nothing was changed. */
        UNPROCESSABLE(422),
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
    private final transient List<ConfigProblem> errors;

    public ControlException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    private ControlException(Kind kind, String message, Object current, List<ConfigProblem> errors) {
        super(message, null, false, false);
        this.kind = kind;
        this.current = current;
        this.errors = errors == null ? null : List.copyOf(errors);
    }

    public Kind kind() {
        return kind;
    }

    /** What the refused change would have changed, as it stands now; null unless a conflict says so. */
    public Object current() {
        return current;
    }

    /** The problems of a refused configuration, each naming its key; null for other refusals. */
    public List<ConfigProblem> errors() {
        return errors;
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
        return new ControlException(Kind.CONFLICT, message, current, null);
    }

    /** A configuration that does not validate (422), with every problem found. */
    public static ControlException invalidConfiguration(String message, List<ConfigProblem> errors) {
        return new ControlException(Kind.UNPROCESSABLE, message, null, errors);
    }

    /** A configuration that changes keys only a restart can (409), naming each. */
    public static ControlException needsRestart(String message, List<ConfigProblem> errors) {
        return new ControlException(Kind.CONFLICT, message, null, errors);
    }

    public static ControlException unavailable(String message) {
        return new ControlException(Kind.UNAVAILABLE, message);
    }
}
