package io.backbeat.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads shared/vectors/*.json, falling back to the byte-identical copy in test resources. */
final class Vectors {
    private Vectors() {
    }

    static Path shared(String file) {
        return Path.of(System.getProperty("backbeat.shared.dir", "../../shared"), "vectors", file);
    }

    static byte[] bundled(String file) {
        try (InputStream in = Vectors.class.getClassLoader().getResourceAsStream("vectors/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource vectors/" + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode load(String file) {
        try {
            Path p = shared(file);
            byte[] bytes = Files.isRegularFile(p) ? Files.readAllBytes(p) : bundled(file);
            return new ObjectMapper().readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
