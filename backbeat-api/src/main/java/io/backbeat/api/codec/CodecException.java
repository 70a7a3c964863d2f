package io.backbeat.api.codec;

/**
 * A document could not be decoded (or a value could not be encoded). Says which field is wrong:
 * {@link #field()} is the JSON field name, or {@code "$"} for the document as a whole. A decoder
 * that throws this has produced nothing: there are no half-filled values.
 */
public final class CodecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    /** {@link #field()} for errors about the whole document. */
    public static final String DOCUMENT = "$";

    private final String field;

    public CodecException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public CodecException(String field, String message, Throwable cause) {
        super(field + ": " + message, cause);
        this.field = field;
    }

    /** The JSON field that is wrong, or {@code "$"} for the document. */
    public String field() {
        return field;
    }
}
