package io.backbeat.pulse.sign;

import io.backbeat.api.SignatureHeader;
import io.nats.client.NKey;
import io.nats.client.impl.Headers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * Signs what a pulse node publishes (frames, timeline replies) with the cluster's Ed25519 NKey, as
 * PROTOCOL.md "Signed messages" defines. Readers configured with the public key drop anything
 * unsigned or badly signed. Thread-safe.
 */
public final class FrameSigner {
    private final NKey key;
    private final String publicKey;

    private FrameSigner(NKey key) throws GeneralSecurityException, IOException {
        this.key = key;
        this.publicKey = new String(key.getPublicKey());
    }

    /** From a file holding an NKey seed (e.g. {@code SA...}, as {@link #main} writes). */
    public static FrameSigner fromSeedFile(Path seedFile) throws IOException, GeneralSecurityException {
        String seed = Files.readString(seedFile, StandardCharsets.US_ASCII).trim();
        try {
            return new FrameSigner(NKey.fromSeed(seed.toCharArray()));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new GeneralSecurityException("not an NKey seed: " + seedFile, e);
        }
    }

    /** The public key readers verify with. */
    public String publicKey() {
        return publicKey;
    }

    /** Headers carrying the signature of {@code payload} (and the public key). */
    public Headers headers(byte[] payload) {
        try {
            Headers h = new Headers();
            h.put(SignatureHeader.SIGNATURE, SignatureHeader.format(key.sign(payload)));
            h.put(SignatureHeader.KEY, publicKey);
            return h;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("signing failed", e);
        }
    }

    /**
     * {@code java -cp backbeat-pulse.jar io.backbeat.pulse.sign.FrameSigner <seed-file>}: makes a new
     * key pair, writes the seed to the file (owner-only) and prints the public key for the clients.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: FrameSigner <seed-file>   (writes a new seed there, prints the public key)");
            System.exit(2);
        }
        NKey k = NKey.createAccount(null);
        Path file = Path.of(args[0]);
        Files.writeString(file, new String(k.getSeed()) + "\n", StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        System.out.println(new String(k.getPublicKey()));
    }
}
