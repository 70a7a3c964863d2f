package io.backbeat.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code nats-server} process on a free loopback port, for integration tests.
 *
 * <pre>{@code
 * try (NatsTestServer nats = NatsTestServer.start()) {
 *     Connection c = Nats.connect(nats.url());
 * }
 * }</pre>
 *
 * The binary is taken from {@code $NATS_SERVER_BIN}, the {@code PATH}, or {@code /usr/sbin} and
 * {@code /usr/bin} (Debian's {@code nats-server} package). {@link #stop()} and {@link #restart()}
 * let a test cut the broker and bring it back on the same port.
 */
public final class NatsTestServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path binary;
    private final int port;
    private final Path logFile;
    private final List<String> extraArgs;
    private Process process;

    private NatsTestServer(Path binary, int port, List<String> extraArgs) throws IOException {
        this.binary = binary;
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
        this.logFile = Files.createTempFile("nats-server-" + port + "-", ".log");
    }

    /**
     * {@code size} servers routed into one NATS cluster on loopback (each with a client port and a
     * cluster port), for tests that lose one server while clients fail over to the others. Returns
     * once every server accepts clients; routes form within moments after that (see
     * {@link #awaitRouted(List)}).
     */
    public static List<NatsTestServer> cluster(int size) {
        if (size < 2) {
            throw new IllegalArgumentException("a cluster has at least 2 servers, got " + size);
        }
        List<Integer> clusterPorts = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            clusterPorts.add(freePort());
        }
        String name = "backbeat-test-" + Long.toHexString(System.nanoTime());
        List<NatsTestServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                List<String> routes = new ArrayList<>();
                for (int j = 0; j < size; j++) {
                    if (j != i) {
                        routes.add("nats://127.0.0.1:" + clusterPorts.get(j));
                    }
                }
                NatsTestServer s = new NatsTestServer(findBinary(), freePort(), List.of("--cluster_name", name,
                        "--cluster", "nats://127.0.0.1:" + clusterPorts.get(i), "--routes", String.join(",", routes)));
                servers.add(s);
                s.launch();
            }
            return List.copyOf(servers);
        } catch (IOException | RuntimeException e) {
            servers.forEach(NatsTestServer::stop);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * Waits (up to 15 s) until a message published on each server reaches a subscriber on every
     * other running one: the routes are up.
     */
    public static void awaitRouted(List<NatsTestServer> servers) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        List<NatsTestServer> up = servers.stream().filter(NatsTestServer::isRunning).toList();
        List<io.nats.client.Connection> conns = new ArrayList<>();
        try {
            for (NatsTestServer s : up) {
                conns.add(io.nats.client.Nats.connect(s.url()));
            }
            String subject = "_backbeat.route-check." + Long.toHexString(System.nanoTime());
            List<io.nats.client.Subscription> subs = new ArrayList<>();
            for (io.nats.client.Connection c : conns) {
                subs.add(c.subscribe(subject));
                c.flush(Duration.ofSeconds(5));
            }
            for (int i = 0; i < conns.size(); i++) {
                for (int j = 0; j < conns.size(); j++) {
                    if (i == j) {
                        continue;
                    }
                    while (true) {
                        conns.get(i).publish(subject, new byte[]{(byte) i});
                        conns.get(i).flush(Duration.ofSeconds(5));
                        io.nats.client.Message m = subs.get(j).nextMessage(Duration.ofMillis(100));
                        while (m != null && m.getData()[0] != (byte) i) {
                            m = subs.get(j).nextMessage(Duration.ofMillis(10));
                        }
                        if (m != null) {
                            break;
                        }
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("NATS routes did not form within " + START_TIMEOUT);
                        }
                    }
                }
            }
        } catch (java.io.IOException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not check NATS routes: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking NATS routes", e);
        } finally {
            for (io.nats.client.Connection c : conns) {
                try {
                    c.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Starts a server on a free port with a nats-server configuration file (authorization,
     * permissions...); the port given here overrides one in the file.
     */
    public static NatsTestServer startWithConfig(Path configFile) {
        try {
            NatsTestServer s = new NatsTestServer(findBinary(), freePort(), List.of("-c", configFile.toString()));
            s.launch();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a server on a free port. */
    public static NatsTestServer start() {
        return start(freePort());
    }

    /** Starts a server on {@code port}. */
    public static NatsTestServer start(int port) {
        try {
            NatsTestServer s = new NatsTestServer(findBinary(), port, List.of());
            s.launch();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The client URL, {@code nats://127.0.0.1:PORT}. */
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** The port the server listens on (the same across {@link #restart()}). */
    public int port() {
        return port;
    }

    /** {@code true} while the process runs. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Stops the process (SIGTERM, then SIGKILL after 5 s). Idempotent. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process = null;
    }

    /** Starts the process again on the same port. */
    public synchronized void restart() {
        stop();
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-m", "0"));
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        process = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("nats-server exited with " + process.exitValue() + " on port " + port
                        + "; log: " + Files.readString(logFile));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while starting nats-server", e);
                }
            }
        }
        stop();
        throw new IOException("nats-server did not accept connections on port " + port + " within " + START_TIMEOUT);
    }

    /** A currently free TCP port on loopback. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the nats-server binary is, or an exception saying how to install it. */
    public static Path findBinary() {
        String env = System.getenv("NATS_SERVER_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"));
        for (String d : dirs) {
            Path p = Path.of(d, "nats-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("nats-server not found: install it (Debian: apt-get install nats-server) "
                + "or set NATS_SERVER_BIN");
    }
}
