package io.backbeat.api.codec;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClaimState;
import io.backbeat.api.StatusClaim;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Mutation fuzzing with fixed seeds: every decoder either returns a value or throws
 * {@link CodecException} (naming a field); no other exception, whatever the bytes. A value that
 * decodes re-encodes and decodes to itself.
 */
class CodecFuzzTest {
    private static final int CASES = 20_000;
    private static final String SYNTAX = "{}[]\",:0123456789-eE.tfn \\";

    private static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int edits = 1 + r.nextInt(6);
        for (int i = 0; i < edits; i++) {
            switch (r.nextInt(5)) {
                case 0 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 1 -> b[r.nextInt(b.length)] = (byte) SYNTAX.charAt(r.nextInt(SYNTAX.length()));
                case 2 -> { // cut
                    b = java.util.Arrays.copyOf(b, Math.max(0, r.nextInt(b.length + 1)));
                    if (b.length == 0) {
                        return b;
                    }
                }
                case 3 -> { // duplicate a slice
                    int from = r.nextInt(b.length);
                    int to = Math.min(b.length, from + r.nextInt(40));
                    byte[] slice = java.util.Arrays.copyOfRange(b, from, to);
                    byte[] out = new byte[b.length + slice.length];
                    System.arraycopy(b, 0, out, 0, to);
                    System.arraycopy(slice, 0, out, to, slice.length);
                    System.arraycopy(b, to, out, to + slice.length, b.length - to);
                    b = out;
                }
                default -> { // a huge number somewhere
                    String s = new String(b, StandardCharsets.ISO_8859_1);
                    int at = r.nextInt(s.length());
                    String big = List.of("1e400", "-9223372036854775809", "9223372036854775808", "NaN", "1.5",
                            "\"\\ud800\"", "null", "[]", "{}").get(r.nextInt(9));
                    b = (s.substring(0, at) + big + s.substring(at)).getBytes(StandardCharsets.ISO_8859_1);
                }
            }
        }
        return b;
    }

    private static <T> int fuzz(byte[] seed, long seedValue, Function<byte[], T> decode, Function<T, byte[]> encode) {
        Random r = new Random(seedValue);
        int decoded = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] input = mutate(seed, r);
            T value;
            try {
                value = decode.apply(input);
            } catch (CodecException e) {
                assertThat(e.getMessage()).isNotBlank();
                continue;
            } catch (RuntimeException e) {
                fail("case %d: %s escaped for input %s", i, e, new String(input, StandardCharsets.UTF_8), e);
                return decoded;
            }
            decoded++;
            byte[] again = encode.apply(value);
            try {
                assertThat(decode.apply(again)).as("case %d round trip", i).isEqualTo(value);
            } catch (CodecException e) {
                fail("case %d: decoded %s from %s, but its encoding %s does not decode: %s", i, value,
                        new String(input, StandardCharsets.UTF_8), new String(again, StandardCharsets.UTF_8), e);
            }
        }
        return decoded;
    }

    @Test
    void framesDescriptorsAndClaimsNeverThrowAnythingButCodecException() {
        TimelineDescriptor d = TimelineDescriptor.initial("fuzz", 1_700_000_000_000_000_000L, 120, 4,
                TimelineDescriptor.DEFAULT_PHASES);
        Timeline t = Timeline.of(d);
        BeatFrame f = BeatFrame.at(t, t.position(42, 1), "1700000000000:3:ab12", "p1", 7);
        StatusClaim c = new StatusClaim("fuzz", "agent-1", 42, "execute", ClaimState.COMPLETED,
                "1700000000000:3:ab12", 12, "ok");
        int frames = fuzz(BackbeatCodec.encodeFrame(f), 1, BackbeatCodec::decodeFrame, BackbeatCodec::encodeFrame);
        int descriptors = fuzz(BackbeatCodec.encodeDescriptor(d), 2, BackbeatCodec::decodeDescriptor,
                BackbeatCodec::encodeDescriptor);
        int claims = fuzz(BackbeatCodec.encodeClaim(c), 3, BackbeatCodec::decodeClaim, BackbeatCodec::encodeClaim);
        System.out.printf("codec fuzz: %d cases each; still decodable: frames %d, descriptors %d, claims %d%n", CASES,
                frames, descriptors, claims);
    }
}
