package io.backbeat.pulse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nats.client.AuthHandler;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The leader's frames go out on this NATS connection of their own, written on the emitter's thread:
 * when {@link #write} returns, the frame is in the kernel's socket buffer, which a stopped process
 * still sends. jnats hands a publish to a writer thread; a process frozen (SIGSTOP, a VM pause) in
 * the moment between the two used to send that frame when it woke, seconds late and from a term
 * another leader had already replaced. Here the last lease check and the write are microseconds
 * apart on one thread, and nothing waits in user space.
 *
 * <p>The connection speaks the NATS client protocol (INFO, CONNECT, PUB/HPUB, PING/PONG) with the
 * node's own options: the same servers (the main connection's current server first), credentials,
 * token, user and password, TLS. It subscribes to nothing. One daemon thread connects, answers the
 * server's PINGs, sends its own every ping interval (two unanswered: the connection is dead) and
 * reconnects after the reconnect wait. A failed write or {@link #reset} closes the socket with a
 * reset, so the kernel discards what it has not sent and nothing is delivered late when a path heals.
 */
final class FrameConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FrameConnection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] PING = "PING\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE = 1 << 20;

    private final Options options;
    private final Supplier<String> preferredServer;
    private final String name;
    private final long pingMillis;
    private final long reconnectWaitMillis;
    private final Object writeLock = new Object();
    private final CountDownLatch firstAttempt = new CountDownLatch(1);
    private final Thread thread;
    private volatile Socket raw;
    private volatile OutputStream out;
    private volatile boolean connected;
    private volatile boolean closed;
    private volatile String status = "CONNECTING";
    private volatile long connects;
    private InputStream in; // the connection thread's only
    private final ByteArrayOutputStream lineBuf = new ByteArrayOutputStream(256); // survives a read timeout

    /**
     * @param options         the node's jnats options (servers, auth, TLS, timeouts)
     * @param preferredServer the main connection's current server URL (or null): tried first
     * @param name            the node id, for the connection's name and thread
     */
    FrameConnection(Options options, Supplier<String> preferredServer, String name) {
        this.options = options;
        this.preferredServer = preferredServer;
        this.name = name;
        Duration ping = options.getPingInterval();
        this.pingMillis = Math.max(100, Math.min(ping == null ? 2000 : ping.toMillis(), 2000));
        Duration wait = options.getReconnectWait();
        this.reconnectWaitMillis = Math.max(50, wait == null ? 250 : wait.toMillis());
        this.thread = new Thread(this::run, "backbeat-frames-nats-" + name);
        this.thread.setDaemon(true);
    }

    /** Starts connecting; waits up to {@code wait} for the first attempt to end (either way). */
    void start(Duration wait) throws InterruptedException {
        thread.start();
        firstAttempt.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean connected() {
        return connected;
    }

    /** {@code CONNECTED to nats://…}, or what the last failure was. */
    String status() {
        return status;
    }

    /** Successful connects so far (the first one included). */
    long connects() {
        return connects;
    }

    /**
     * The bytes of one publish of {@code payload} on {@code subject}, with {@code headers} (HPUB) or
     * without (PUB): built ahead of the instant, so the instant is one socket write.
     */
    static byte[] wire(String subject, Headers headers, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + subject.length() + 128);
        if (headers == null || headers.isEmpty()) {
            b.writeBytes(("PUB " + subject + " " + payload.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        } else {
            byte[] h = new byte[headers.serializedLength()];
            headers.serializeToArray(0, h);
            b.writeBytes(("HPUB " + subject + " " + h.length + " " + (h.length + payload.length) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(h);
        }
        b.writeBytes(payload);
        b.writeBytes(CRLF);
        return b.toByteArray();
    }

    /**
     * Writes {@code wire} (from {@link #wire}) on the caller's thread; returns once the kernel has it.
     *
     * @throws IllegalStateException not connected, or the write failed (the connection is then reset)
     */
    void write(byte[] wire) {
        OutputStream o = out;
        if (!connected || o == null) {
            throw new IllegalStateException("frame connection " + status);
        }
        try {
            synchronized (writeLock) {
                o.write(wire);
                o.flush();
            }
        } catch (IOException e) {
            reset("write failed: " + e);
            throw new IllegalStateException("frame connection write failed: " + e, e);
        }
    }

    /**
     * Closes the socket with a reset (no linger: unsent bytes are discarded) and lets the thread
     * reconnect; a no-op while not connected.
     */
    void reset(String why) {
        Socket s = raw;
        if (s == null) {
            return;
        }
        if (connected) {
            LOG.warn("{} resets its frame connection: {}", name, why);
        }
        connected = false;
        status = "DISCONNECTED (" + why + ")";
        abort(s);
    }

    @Override
    public void close() {
        closed = true;
        connected = false;
        status = "CLOSED";
        Socket s = raw;
        if (s != null) {
            abort(s);
        }
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<URI> servers = new ArrayList<>(options.getServers());
        int next = 0;
        String failed = null; // host:port of the server that failed last
        while (!closed) {
            URI target = pick(servers, next, failed);
            if (target != null && !servers.isEmpty() && hostPort(target).equals(hostPort(servers.get(next % servers.size())))) {
                next++;
            }
            Socket s = null;
            boolean wasUp = false;
            long upAt = 0;
            try {
                if (target == null) {
                    throw new IOException("no NATS server to connect to");
                }
                s = new Socket();
                raw = s;
                Socket wrapped = handshake(s, target);
                failed = null;
                connects++;
                status = "CONNECTED to " + target;
                connected = true;
                wasUp = true;
                upAt = System.nanoTime();
                LOG.info("{} frame connection up to {}", name, target);
                firstAttempt.countDown();
                serve(wrapped);
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    failed = target == null ? null : hostPort(target);
                    if (wasUp || connects == 0) {
                        LOG.warn("{} frame connection to {} lost: {}", name, target, e.toString());
                    } else {
                        LOG.debug("{} frame connection to {} failed: {}", name, target, e.toString());
                    }
                    status = "DISCONNECTED (" + e.getMessage() + ")";
                }
            } finally {
                connected = false;
                out = null;
                if (s != null) {
                    abort(s);
                }
                firstAttempt.countDown();
            }
            // a connection lost after a while retries at once (elsewhere); a failed attempt, or a connection
            // the server dropped within a second, waits
            if (!closed && (!wasUp || System.nanoTime() - upAt < 1_000_000_000L)) {
                try {
                    Thread.sleep(reconnectWaitMillis);
                } catch (InterruptedException e) {
                    if (closed) {
                        return;
                    }
                }
            }
        }
    }

    /** The main connection's server unless it just failed, else the next listed one that did not. */
    private URI pick(List<URI> servers, int next, String failed) {
        String preferred = preferredServer.get();
        if (preferred != null) {
            URI p = URI.create(preferred);
            if (!hostPort(p).equals(failed)) {
                return p;
            }
        }
        for (int i = 0; i < servers.size(); i++) {
            URI u = servers.get((next + i) % servers.size());
            if (!hostPort(u).equals(failed) || servers.size() == 1) {
                return u;
            }
        }
        return null;
    }

    private static String hostPort(URI u) {
        return u.getHost() + ":" + u.getPort();
    }

    /** INFO, TLS when asked, CONNECT, PING, until PONG; returns the socket to speak on. */
    private Socket handshake(Socket s, URI target) throws IOException {
        int timeout = (int) Math.max(500, options.getConnectionTimeout().toMillis());
        String host = target.getHost() == null ? "127.0.0.1" : target.getHost();
        int port = target.getPort() < 0 ? 4222 : target.getPort();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), timeout);
        s.setSoTimeout(timeout);
        boolean tls = options.isTLSRequired() || "tls".equalsIgnoreCase(target.getScheme());
        Socket io = s;
        if (tls && options.isTlsFirst()) {
            io = upgrade(s, host, port);
        }
        lineBuf.reset();
        InputStream in = new BufferedInputStream(io.getInputStream());
        String infoLine = readLine(in);
        if (!infoLine.startsWith("INFO")) {
            throw new IOException("expected INFO from " + target + ", got: " + abbreviate(infoLine));
        }
        JsonNode info = JSON.readTree(infoLine.substring(4).trim());
        if (!(io instanceof SSLSocket) && (tls || info.path("tls_required").asBoolean(false))) {
            io = upgrade(s, host, port);
            in = new BufferedInputStream(io.getInputStream());
        }
        OutputStream o = io.getOutputStream();
        byte[] connect = ("CONNECT " + connectJson(info, target, io instanceof SSLSocket) + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        synchronized (writeLock) {
            o.write(connect);
            o.write(PING);
            o.flush();
        }
        while (true) {
            String line = readLine(in);
            if (line.startsWith("PONG")) {
                break;
            }
            if (line.startsWith("-ERR")) {
                throw new IOException("NATS refused the frame connection: " + line);
            }
            if (line.startsWith("PING")) {
                send(o, PONG);
            }
        }
        s.setSoTimeout((int) pingMillis);
        io.setSoTimeout((int) pingMillis);
        this.out = o;
        this.in = in;
        return io;
    }

    /** Reads until the connection fails: answers PINGs, pings the server, fails on two unanswered. */
    private void serve(Socket io) throws IOException {
        OutputStream o = out;
        int unanswered = 0;
        while (!closed) {
            String line;
            try {
                line = readLine(in);
            } catch (SocketTimeoutException e) {
                if (unanswered >= 2) {
                    throw new IOException("no PONG from the server for " + unanswered * pingMillis + " ms");
                }
                unanswered++;
                send(o, PING);
                continue;
            }
            if (line.startsWith("PING")) {
                send(o, PONG);
            } else if (line.startsWith("PONG")) {
                unanswered = 0;
            } else if (line.startsWith("-ERR")) {
                if (line.toLowerCase(java.util.Locale.ROOT).contains("permissions violation")) {
                    LOG.warn("{} frame connection: {}", name, line); // the server keeps the connection
                } else {
                    throw new IOException("server: " + line);
                }
            }
            // +OK, INFO (cluster changes): nothing to do; nothing is subscribed, so no MSG comes
        }
    }

    private void send(OutputStream o, byte[] bytes) throws IOException {
        synchronized (writeLock) {
            o.write(bytes);
            o.flush();
        }
    }

    private String connectJson(JsonNode info, URI target, boolean tls) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("verbose", false).put("pedantic", false).put("tls_required", tls)
                .put("name", (options.getConnectionName() == null ? name : options.getConnectionName()) + "-frames")
                .put("lang", "java").put("version", "backbeat-frames").put("protocol", 1)
                .put("headers", true).put("no_responders", false).put("echo", false);
        String userInfo = target.getUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                c.put("auth_token", userInfo);
            } else {
                c.put("user", userInfo.substring(0, colon)).put("pass", userInfo.substring(colon + 1));
            }
        }
        if (options.getTokenChars() != null) {
            c.put("auth_token", new String(options.getTokenChars()));
        }
        if (options.getUsernameChars() != null) {
            c.put("user", new String(options.getUsernameChars()));
            char[] pass = options.getPasswordChars();
            c.put("pass", pass == null ? "" : new String(pass));
        }
        AuthHandler auth = options.getAuthHandler();
        if (auth != null) {
            char[] jwt = auth.getJWT();
            if (jwt != null) {
                c.put("jwt", new String(jwt));
            } else {
                c.put("nkey", new String(auth.getID()));
            }
            String nonce = info.path("nonce").asText(null);
            if (nonce != null) {
                byte[] sig = auth.sign(nonce.getBytes(StandardCharsets.UTF_8));
                c.put("sig", Base64.getUrlEncoder().withoutPadding().encodeToString(sig));
            }
        }
        return JSON.writeValueAsString(c);
    }

    private Socket upgrade(Socket s, String host, int port) throws IOException {
        SSLContext ctx = options.getSslContext();
        if (ctx == null) {
            try {
                ctx = SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IOException("no TLS context for the frame connection: " + e.getMessage(), e);
            }
        }
        SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(s, host, port, true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        return tls;
    }

    /** A protocol line without its CR LF; a timeout mid-line keeps what was read for the next call. */
    private String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = lineBuf;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by the server");
            }
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                if (b.size() >= MAX_LINE) {
                    throw new IOException("protocol line longer than " + MAX_LINE + " bytes");
                }
                b.write(c);
            }
        }
        String text = b.toString(StandardCharsets.UTF_8);
        b.reset();
        return text;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** Closes with a reset: SO_LINGER 0, so unsent bytes are dropped, not delivered late. */
    private static void abort(Socket s) {
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
