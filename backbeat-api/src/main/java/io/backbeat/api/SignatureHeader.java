package io.backbeat.api;

import java.util.Base64;
import java.util.Optional;

/**
 * The wire form of a signed message (PROTOCOL.md "Signed messages"): an Ed25519 signature over the
 * payload bytes exactly as sent, in the NATS header {@value #SIGNATURE} as
 * {@code ed25519:<base64url, no padding, of the 64 bytes>}, and optionally the signer's public key
 * (an NKey string) in {@value #KEY}. Pure: the signing and verifying themselves use the NKey
 * implementation of the side that holds the keys.
 */
public final class SignatureHeader {
    /** Header carrying the signature. */
    public static final String SIGNATURE = "Backbeat-Signature";
    /** Optional header carrying the signer's public key. */
    public static final String KEY = "Backbeat-Key";
    private static final String PREFIX = "ed25519:";

    private SignatureHeader() {
    }

    /** The header value for a 64-byte Ed25519 signature. */
    public static String format(byte[] signature) {
        if (signature.length != 64) {
            throw new IllegalArgumentException("an Ed25519 signature has 64 bytes, got " + signature.length);
        }
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    }

    /** The 64 signature bytes of a header value, or empty when it is missing or malformed. */
    public static Optional<byte[]> parse(String value) {
        if (value == null || !value.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            byte[] sig = Base64.getUrlDecoder().decode(value.substring(PREFIX.length()));
            return sig.length == 64 ? Optional.of(sig) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
