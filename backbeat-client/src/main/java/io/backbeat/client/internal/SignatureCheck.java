package io.backbeat.client.internal;

import io.backbeat.api.SignatureHeader;
import io.nats.client.Message;
import io.nats.client.NKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Verifies the Ed25519 signature of a received message against the cluster's public keys (several
 * during a key rotation). A message without a valid signature by one of them is rejected and counted.
 */
public final class SignatureCheck {
    private final List<NKey> keys = new ArrayList<>();
    private final LongAdder rejected = new LongAdder();

    /** From NKey public keys ({@code A...}); throws naming a key that does not parse. */
    public SignatureCheck(List<String> publicKeys) {
        if (publicKeys.isEmpty()) {
            throw new IllegalArgumentException("at least one public key is needed to verify signatures");
        }
        for (String k : publicKeys) {
            try {
                keys.add(NKey.fromPublicKey(k.trim().toCharArray()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not an NKey public key: '" + k + "'", e);
            }
        }
    }

    /** Whether {@code msg} carries a valid signature over its data by one of the keys; counts a rejection. */
    public boolean verify(Message msg) {
        byte[] data = msg.getData() == null ? new byte[0] : msg.getData();
        Optional<byte[]> sig = msg.hasHeaders()
                ? SignatureHeader.parse(msg.getHeaders().getFirst(SignatureHeader.SIGNATURE)) : Optional.empty();
        if (sig.isPresent()) {
            for (NKey k : keys) {
                try {
                    if (k.verify(data, sig.get())) {
                        return true;
                    }
                } catch (Exception e) {
                    // a key that cannot verify this signature: try the next
                }
            }
        }
        rejected.increment();
        return false;
    }

    /** Messages rejected so far. */
    public long rejected() {
        return rejected.sum();
    }
}
