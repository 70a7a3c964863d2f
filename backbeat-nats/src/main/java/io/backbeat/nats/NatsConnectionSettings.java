package io.backbeat.nats;

import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.security.KeyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a BACKBEAT process connects to NATS: servers, credentials (a {@code .creds} file, a token, or
 * user and password), TLS (the JVM's trust, or a trust store and a key store for mutual TLS), and the
 * reconnect behaviour. The one place that turns these into jnats {@link Options}: the pulse and the
 * client SDK both build their connection here. Immutable; {@link #toString()} never shows a secret.
 *
 * <pre>{@code
 * NatsConnectionSettings nats = NatsConnectionSettings.builder("nats://n1:4222", "nats://n2:4222")
 *         .credentials(Path.of("/etc/backbeat/svc.creds"))
 *         .trustStore(Path.of("/etc/backbeat/ca.jks"), "changeit")
 *         .build();
 * }</pre>
 */
public final class NatsConnectionSettings {
    private final List<String> servers;
    private final String connectionName;
    private final Path credsFile;
    private final String token;
    private final String user;
    private final String password;
    private final boolean tls;
    private final Path trustStore;
    private final String trustStorePassword;
    private final Path keyStore;
    private final String keyStorePassword;
    private final Duration reconnectWait;
    private final Duration pingInterval;
    private final Duration connectionTimeout;
    private final boolean randomize;
    private final long reconnectBufferBytes;

    private NatsConnectionSettings(Builder b) {
        this.servers = List.copyOf(b.servers);
        this.connectionName = b.connectionName;
        this.credsFile = b.credsFile;
        this.token = b.token;
        this.user = b.user;
        this.password = b.password;
        this.tls = b.tls || b.trustStore != null || b.keyStore != null;
        this.trustStore = b.trustStore;
        this.trustStorePassword = b.trustStorePassword;
        this.keyStore = b.keyStore;
        this.keyStorePassword = b.keyStorePassword;
        this.reconnectWait = b.reconnectWait;
        this.pingInterval = b.pingInterval;
        this.connectionTimeout = b.connectionTimeout;
        this.randomize = b.randomize;
        this.reconnectBufferBytes = b.reconnectBufferBytes;
    }

    /** Settings for these server URLs (at least one), with the defaults below. */
    public static Builder builder(String... servers) {
        return new Builder(List.of(servers));
    }

    /** Settings for these server URLs (at least one), with the defaults below. */
    public static Builder builder(List<String> servers) {
        return new Builder(servers);
    }

    public List<String> servers() {
        return servers;
    }

    public String connectionName() {
        return connectionName;
    }

    /** Whether the connection uses TLS (asked for, or implied by a trust or key store). */
    public boolean tls() {
        return tls;
    }

    /** A copy with another connection name (the pulse and the client name their connections). */
    public NatsConnectionSettings withConnectionName(String name) {
        return toBuilder().connectionName(name).build();
    }

    /** A copy with other servers (at least one). */
    public NatsConnectionSettings withServers(String... urls) {
        return toBuilder(List.of(urls)).build();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        return toBuilder(servers);
    }

    private Builder toBuilder(List<String> newServers) {
        Builder b = new Builder(newServers);
        b.connectionName = connectionName;
        b.credsFile = credsFile;
        b.token = token;
        b.user = user;
        b.password = password;
        b.tls = tls;
        b.trustStore = trustStore;
        b.trustStorePassword = trustStorePassword;
        b.keyStore = keyStore;
        b.keyStorePassword = keyStorePassword;
        b.reconnectWait = reconnectWait;
        b.pingInterval = pingInterval;
        b.connectionTimeout = connectionTimeout;
        b.randomize = randomize;
        b.reconnectBufferBytes = reconnectBufferBytes;
        return b;
    }

    /**
     * The jnats options: reconnecting for ever, the given credentials and TLS.
     *
     * @param errors receives jnats' asynchronous errors, or null for jnats' own (it prints them)
     * @throws IOException an unreadable trust or key store, or a bad store password
     */
    public Options toOptions(ErrorListener errors) throws IOException {
        Options.Builder b = new Options.Builder().servers(servers.toArray(new String[0])).maxReconnects(-1)
                .reconnectWait(reconnectWait).pingInterval(pingInterval).connectionTimeout(connectionTimeout);
        if (connectionName != null) {
            b.connectionName(connectionName);
        }
        if (!randomize) {
            b.noRandomize();
        }
        if (reconnectBufferBytes >= 0) {
            b.reconnectBufferSize(reconnectBufferBytes);
        }
        if (errors != null) {
            b.errorListener(errors);
        }
        if (credsFile != null) {
            b.authHandler(Nats.credentials(credsFile.toString()));
        }
        if (token != null) {
            b.token(token.toCharArray());
        }
        if (user != null) {
            b.userInfo(user.toCharArray(), (password == null ? "" : password).toCharArray());
        }
        if (trustStore != null || keyStore != null) {
            try {
                b.sslContext(sslContext());
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot build the NATS TLS context from the trust store " + trustStore
                        + " and key store " + keyStore + ": " + e.getMessage(), e);
            }
        } else if (tls) {
            try {
                b.secure();
            } catch (GeneralSecurityException e) {
                throw new IOException("no default TLS context for NATS: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** The stores' context: JKS or PKCS#12 (the type is read from the file), the JVM's default algorithms. */
    private SSLContext sslContext() throws GeneralSecurityException, IOException {
        KeyManager[] keys = null;
        if (keyStore != null) {
            KeyStore ks = KeyStore.getInstance(keyStore.toFile(), chars(keyStorePassword));
            KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            f.init(ks, chars(keyStorePassword));
            keys = f.getKeyManagers();
        }
        TrustManager[] trust = null;
        if (trustStore != null) {
            KeyStore ts = KeyStore.getInstance(trustStore.toFile(), chars(trustStorePassword));
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(ts);
            trust = f.getTrustManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, trust, null);
        return ctx;
    }

    private static char[] chars(String s) {
        return (s == null ? "" : s).toCharArray();
    }

    /** The settings, with the token and passwords shown as {@code ***}. */
    @Override
    public String toString() {
        return "NatsConnectionSettings[servers=" + servers + ", connectionName=" + connectionName
                + ", credsFile=" + credsFile + ", token=" + secret(token) + ", user=" + user
                + ", password=" + secret(password) + ", tls=" + tls + ", trustStore=" + trustStore
                + ", trustStorePassword=" + secret(trustStorePassword) + ", keyStore=" + keyStore
                + ", keyStorePassword=" + secret(keyStorePassword) + ", reconnectWait=" + reconnectWait
                + ", pingInterval=" + pingInterval + ", connectionTimeout=" + connectionTimeout
                + ", randomize=" + randomize + ", reconnectBufferBytes=" + reconnectBufferBytes + "]";
    }

    private static String secret(String s) {
        return s == null || s.isEmpty() ? "none" : "***";
    }

    /** Builder; every setter checks its argument. */
    public static final class Builder {
        private final List<String> servers;
        private String connectionName;
        private Path credsFile;
        private String token;
        private String user;
        private String password;
        private boolean tls;
        private Path trustStore;
        private String trustStorePassword;
        private Path keyStore;
        private String keyStorePassword;
        private Duration reconnectWait = Duration.ofMillis(250);
        private Duration pingInterval = Duration.ofSeconds(2);
        private Duration connectionTimeout = Duration.ofSeconds(5);
        private boolean randomize = true;
        private long reconnectBufferBytes = -1;

        private Builder(List<String> servers) {
            if (servers == null || servers.isEmpty()) {
                throw new IllegalArgumentException("at least one NATS server URL is required");
            }
            for (String s : servers) {
                if (s == null || s.isBlank()) {
                    throw new IllegalArgumentException("a NATS server URL is blank in " + servers);
                }
            }
            this.servers = List.copyOf(servers);
        }

        /** The name the NATS server shows for this connection. */
        public Builder connectionName(String name) {
            this.connectionName = name;
            return this;
        }

        /** A NATS {@code .creds} file (JWT and NKey seed): must be readable. */
        public Builder credentials(Path credsFile) {
            if (!Files.isReadable(credsFile)) {
                throw new IllegalArgumentException("NATS credentials file " + credsFile + " is not readable");
            }
            this.credsFile = credsFile;
            return this;
        }

        /** A NATS token. */
        public Builder token(String token) {
            this.token = requireText(token, "token");
            return this;
        }

        /** A NATS user and password. */
        public Builder userInfo(String user, String password) {
            this.user = requireText(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** TLS with the JVM's default trust (implied by a trust or key store). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** The trust store (JKS or PKCS#12) the server's certificate must chain to; implies TLS. */
        public Builder trustStore(Path store, String password) {
            this.trustStore = readable(store, "trust store");
            this.trustStorePassword = password;
            return this;
        }

        /** This process's key store for mutual TLS; implies TLS. */
        public Builder keyStore(Path store, String password) {
            this.keyStore = readable(store, "key store");
            this.keyStorePassword = password;
            return this;
        }

        /** Wait between reconnect attempts (default 250 ms). */
        public Builder reconnectWait(Duration wait) {
            this.reconnectWait = positive(wait, "reconnect wait");
            return this;
        }

        /** Interval of the client's pings, which find a dead connection (default 2 s). */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = positive(interval, "ping interval");
            return this;
        }

        /** Timeout of one connection attempt (default 5 s). */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = positive(timeout, "connection timeout");
            return this;
        }

        /**
         * Whether jnats may try the servers in random order (default true); false keeps the order given
         * (the nearest first, the rest for failover).
         */
        public Builder randomize(boolean randomize) {
            this.randomize = randomize;
            return this;
        }

        /**
         * Bytes kept while disconnected and sent after a reconnect (default: jnats' own); 0 keeps
         * nothing, so a message that cannot go out now never arrives late (the pulse's frames).
         */
        public Builder reconnectBufferBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("reconnect buffer must be >= 0 bytes, got " + bytes);
            }
            this.reconnectBufferBytes = bytes;
            return this;
        }

        public NatsConnectionSettings build() {
            return new NatsConnectionSettings(this);
        }

        private static String requireText(String s, String what) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("NATS " + what + " must not be empty");
            }
            return s;
        }

        private static Path readable(Path p, String what) {
            if (p == null || !Files.isReadable(p) || Files.isDirectory(p)) {
                throw new IllegalArgumentException("NATS " + what + " " + p + " is not a readable file");
            }
            return p;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }
    }
}
