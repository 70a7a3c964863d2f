package io.backbeat.pulse.fault;

import io.backbeat.pulse.PulseMain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Pulse nodes as OS processes with faults a test can inject: signals (SIGKILL, SIGTERM, SIGSTOP/SIGCONT),
 * restarts, and real socket-level network partitions of a node from its consensus peers.
 *
 * <p>Each node gets a data dir, a free consensus port, a free admin port and a log file under the base
 * directory, and runs in its own cgroup v2 directory {@code <cgroup2>/backbeat-<runId>-<nodeId>}, the run id
 * being {@code <pid of this JVM>x<random hex>} so that a later run removes what a dead one left (the JVM
 * is started by {@code sh -c 'echo $$ > .../cgroup.procs && exec java ...'}, so every socket it creates
 * belongs to that cgroup). {@link #partition} adds iptables rules, each tagged
 * {@code -m comment --comment backbeat-<runId>}, that drop on loopback
 * <ul>
 *   <li>INPUT with the node's consensus port as destination (peers cannot reach it), and</li>
 *   <li>OUTPUT from the node's cgroup to the other nodes' consensus ports (it cannot reach them).</li>
 * </ul>
 * NATS and admin traffic keeps flowing. {@link #close()} (and a JVM shutdown hook) kills every process,
 * deletes every rule carrying the run's comment and removes the cgroup directories.
 *
 * <pre>{@code
 * try (PulseProcessCluster c = PulseProcessCluster.builder(nats.url(), dir).cluster("fault")
 *         .nodes("f1", "f2", "f3").build()) {
 *     c.startAll();
 *     c.partition("f1");
 * }
 * }</pre>
 *
 * Uses nothing but the JDK and the pulse's main class, so it can move to main scope unchanged.
 */
public final class PulseProcessCluster implements AutoCloseable {

    /** The flags of the process kill test: 240 BPM, bar 4, plan/execute/review. */
    public static final List<String> DEFAULT_FLAGS = List.of("--bpm", "240", "--bar", "4", "--min-bpm", "30",
            "--max-bpm", "300", "--phases", "plan,execute,review");

    /** One pulse node: its ports and files, and the process while it runs. */
    public static final class Node {
        private final String id;
        private final int raftPort;
        private final int adminPort;
        private final Path dataDir;
        private final Path log;
        private final Map<String, String> env;
        private final List<String> flags;
        private Path cgroup;
        private Process process;
        private final List<List<String>> rules = new ArrayList<>();

        private Node(String id, int raftPort, int adminPort, Path dataDir, Path log, Map<String, String> env,
                     List<String> flags) {
            this.id = id;
            this.raftPort = raftPort;
            this.adminPort = adminPort;
            this.dataDir = dataDir;
            this.log = log;
            this.env = env;
            this.flags = flags;
        }

        public String id() {
            return id;
        }

        public int raftPort() {
            return raftPort;
        }

        public int adminPort() {
            return adminPort;
        }

        public Path dataDir() {
            return dataDir;
        }

        public Path log() {
            return log;
        }

        /** The cgroup directory the node runs in, or {@code null} without cgroup v2. */
        public Path cgroup() {
            return cgroup;
        }

        /** The running (or last) process, or {@code null} before the first start. */
        public synchronized Process process() {
            return process;
        }
    }

    /** An admin HTTP answer. */
    public record AdminResponse(int status, String body) {
    }

    private final String runId = HostFaults.newRunId();
    private final String cluster;
    private final String natsUrl;
    private final String consensus;
    private final List<String> flags;
    private final List<String> initialMembers;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Optional<Path> cgroupRoot;
    private final Thread hook;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile boolean closed;

    private PulseProcessCluster(Builder b) {
        this.cluster = b.cluster;
        this.natsUrl = b.natsUrl;
        this.consensus = b.consensus;
        this.flags = List.copyOf(b.flags);
        this.initialMembers = List.copyOf(b.initialMembers);
        this.cgroupRoot = b.cgroups ? HostFaults.cgroup2Root() : Optional.empty();
        HostFaults.sweepOrphans();
        for (String id : b.ids) {
            Path data = b.dataDirs.getOrDefault(id, b.baseDir.resolve(id));
            nodes.put(id, new Node(id, freePort(), freePort(), data, b.baseDir.resolve(id + ".log"),
                    Map.copyOf(b.env.getOrDefault(id, Map.of())),
                    List.copyOf(b.nodeFlags.getOrDefault(id, List.of()))));
        }
        this.hook = new Thread(this::cleanUp, "backbeat-fault-cleanup-" + runId);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A builder for nodes publishing to {@code natsUrl}, with logs and data dirs under {@code baseDir}. */
    public static Builder builder(String natsUrl, Path baseDir) {
        return new Builder(natsUrl, baseDir);
    }

    /** The builder. */
    public static final class Builder {
        private final String natsUrl;
        private final Path baseDir;
        private String cluster = "fault";
        private String consensus = "ratis";
        private List<String> ids = List.of("n1", "n2", "n3");
        private List<String> flags = DEFAULT_FLAGS;
        private List<String> initialMembers = List.of();
        private final Map<String, Map<String, String>> env = new LinkedHashMap<>();
        private final Map<String, List<String>> nodeFlags = new LinkedHashMap<>();
        private final Map<String, Path> dataDirs = new LinkedHashMap<>();
        private boolean cgroups = true;

        private Builder(String natsUrl, Path baseDir) {
            this.natsUrl = natsUrl;
            this.baseDir = baseDir;
        }

        /** The cluster id (default {@code fault}). */
        public Builder cluster(String v) {
            this.cluster = v;
            return this;
        }

        /** {@code ratis} (default) or {@code atomix}. */
        public Builder consensus(String v) {
            this.consensus = v;
            return this;
        }

        /** The node ids, all voting members (default n1, n2, n3). */
        public Builder nodes(String... v) {
            this.ids = List.of(v);
            return this;
        }

        /** Flags every node gets (default {@link #DEFAULT_FLAGS}). */
        public Builder flags(List<String> v) {
            this.flags = List.copyOf(v);
            return this;
        }

        /** Extra environment for one node (e.g. {@link #fakeTime(String)}). */
        public Builder env(String id, Map<String, String> v) {
            this.env.computeIfAbsent(id, k -> new LinkedHashMap<>()).putAll(v);
            return this;
        }

        /**
         * The members of the initial consensus group: these nodes start with only them in {@code --peers}
         * (the others, to be added at run time, list every node). Default: every node.
         */
        public Builder initialMembers(String... ids) {
            this.initialMembers = List.of(ids);
            return this;
        }

        /** Extra flags for one node, after the common ones. */
        public Builder nodeFlags(String id, String... v) {
            this.nodeFlags.computeIfAbsent(id, k -> new ArrayList<>()).addAll(List.of(v));
            return this;
        }

        /** A data dir for one node other than {@code <baseDir>/<id>}. */
        public Builder dataDir(String id, Path v) {
            this.dataDirs.put(id, v);
            return this;
        }

        /** Whether to start nodes in their own cgroups (default {@code true} when cgroup v2 is writable). */
        public Builder cgroups(boolean v) {
            this.cgroups = v;
            return this;
        }

        public PulseProcessCluster build() {
            return new PulseProcessCluster(this);
        }
    }

    /**
     * The environment that makes a node's wall clock run {@code offset} off ({@code +2s}, {@code -500ms}...)
     * with libfaketime, leaving the monotonic clock alone. {@code FAKETIME_FORCE_MONOTONIC_FIX=0}: with the
     * fix (on by default with this glibc) a JVM's {@code Thread.sleep(20)} took 35-78 ms and
     * {@code currentTimeMillis} 16x longer; without it sleeps are exact and the offset still applies.
     */
    public static Map<String, String> fakeTime(String offset) {
        return Map.of("LD_PRELOAD", HostFaults.LIBFAKETIME, "FAKETIME", offset, "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                "FAKETIME_FORCE_MONOTONIC_FIX", "0");
    }

    /** The id of this run, in cgroup names and the iptables comment. */
    public String runId() {
        return runId;
    }

    /** The iptables comment every rule of this run carries. */
    public String ruleComment() {
        return "backbeat-" + runId;
    }

    public String clusterId() {
        return cluster;
    }

    public List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    public Node node(String id) {
        Node n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " (nodes " + nodes.keySet() + ")");
        }
        return n;
    }

    /** The {@code --peers} value: every node as id@127.0.0.1:port. */
    public String peers() {
        return nodes.values().stream().map(n -> n.id + "@127.0.0.1:" + n.raftPort).collect(Collectors.joining(","));
    }

    /** {@code --peers} of the nodes {@code ids}. */
    public String peers(List<String> ids) {
        return nodes.values().stream().filter(n -> ids.contains(n.id)).map(n -> n.id + "@127.0.0.1:" + n.raftPort)
                .collect(Collectors.joining(","));
    }

    /** Starts every node that is not running. */
    public void startAll() throws IOException {
        for (String id : nodes.keySet()) {
            if (!isAlive(id)) {
                start(id);
            }
        }
    }

    /** Starts one node (its log is appended to). */
    public Process start(String id) throws IOException {
        return start(id, Map.of());
    }

    /** Starts one node with {@code extraEnv} on top of its own environment for this launch only. */
    public Process start(String id, Map<String, String> extraEnv) throws IOException {
        Node n = node(id);
        Map<String, String> env = new LinkedHashMap<>(n.env);
        env.putAll(extraEnv);
        synchronized (n) {
            if (closed) {
                throw new IllegalStateException("cluster closed");
            }
            if (n.process != null && n.process.isAlive()) {
                throw new IllegalStateException(id + " is already running (pid " + n.process.pid() + ")");
            }
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>();
            if (cgroupRoot.isPresent()) {
                if (n.cgroup == null) {
                    n.cgroup = cgroupRoot.get().resolve("backbeat-" + runId + "-" + id);
                    Files.createDirectories(n.cgroup);
                }
                // join the cgroup, then become the JVM: same pid, every socket in the cgroup
                cmd.addAll(List.of("sh", "-c", "echo $$ > \"$1/cgroup.procs\" && shift && exec \"$@\"", "sh",
                        n.cgroup.toString()));
            }
            cmd.addAll(List.of(javaBin, "-Xmx256m"));
            PulseMain.ADD_OPENS.forEach(pkg -> cmd.add("--add-opens=" + pkg + "=ALL-UNNAMED"));
            cmd.addAll(List.of("-cp", cp, PulseMain.class.getName(), "--cluster", cluster, "--node-id", id,
                    "--nats", natsUrl, "--admin-bind", "127.0.0.1", "--admin-port", String.valueOf(n.adminPort),
                    "--peers", initialMembers.isEmpty() || !initialMembers.contains(id) ? peers() : peers(initialMembers),
                    "--data-dir", n.dataDir.toString(), "--consensus", consensus));
            cmd.addAll(flags);
            cmd.addAll(n.flags);
            Files.createDirectories(n.log.getParent());
            Files.writeString(n.log, "=== start " + Instant.now() + " " + env + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile()));
            pb.environment().remove("BACKBEAT_LOG_LEVEL");
            pb.environment().putAll(env);
            n.process = pb.start();
            n.process.getOutputStream().close();
            return n.process;
        }
    }

    /** {@code true} while the node's process runs (stopped counts as running). */
    public boolean isAlive(String id) {
        Process p = node(id).process();
        return p != null && p.isAlive();
    }

    /** The pid of the node's java process (with {@code exec} the same as the launched one). */
    public long pid(String id) {
        return running(id).pid();
    }

    private Process running(String id) {
        Process p = node(id).process();
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(id + " is not running");
        }
        return p;
    }

    /** SIGKILL, and waits for the exit. */
    public void kill(String id) throws InterruptedException {
        Process p = node(id).process();
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(15, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM without waiting. */
    public void signalTerm(String id) {
        running(id).destroy();
    }

    /**
     * SIGTERM, then waits up to {@code timeout}: the nanoseconds from the signal to the exit, or -1 when
     * the process still runs (it is left running; {@link #close()} kills it).
     */
    public long term(String id, Duration timeout) throws InterruptedException {
        Process p = running(id);
        long t0 = System.nanoTime();
        p.destroy();
        return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS) ? System.nanoTime() - t0 : -1;
    }

    /** SIGTERM, waiting up to 30 s. */
    public long term(String id) throws InterruptedException {
        return term(id, Duration.ofSeconds(30));
    }

    /** SIGSTOP: the JVM freezes with its sockets open. */
    public void stop(String id) {
        HostFaults.signal(pid(id), "STOP");
    }

    /** SIGCONT. */
    public void cont(String id) {
        HostFaults.signal(pid(id), "CONT");
    }

    /** SIGKILL (when running) and start again on the same ports, data dir and environment. */
    public Process restart(String id) throws IOException, InterruptedException {
        return restart(id, Map.of());
    }

    /** SIGKILL (when running) and start again with {@code extraEnv} (e.g. {@link #fakeTime(String)}) added. */
    public Process restart(String id, Map<String, String> extraEnv) throws IOException, InterruptedException {
        kill(id);
        return start(id, extraEnv);
    }

    /** Waits for the node's process to exit; its exit status, or {@code null} when it still runs. */
    public Integer awaitExit(String id, Duration timeout) throws InterruptedException {
        Process p = node(id).process();
        if (p == null) {
            throw new IllegalStateException(id + " was never started");
        }
        return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS) ? p.exitValue() : null;
    }

    /** How often a node led, from its log: every term, and the terms begun while it was withdrawn from elections. */
    public record Leadership(long terms, long termsWhileWithdrawn, long withdrawals) {
    }

    /**
     * Node {@code id}'s terms as its log tells them: "leads in term" lines, and which of them came after a
     * "withdraws from elections" line with no "stands for election" (again, or in a silent beat) or restart in between.
     */
    public Leadership leadership(String id) {
        boolean withdrawn = false;
        long terms = 0;
        long whileWithdrawn = 0;
        long withdrawals = 0;
        for (String line : log(id).lines().toList()) {
            if (line.contains("withdraws from elections")) {
                withdrawn = true;
                withdrawals++;
            } else if (line.contains("stands for election") || line.contains("Ratis node " + id + " started")) {
                withdrawn = false;
            } else if (line.contains(id + " leads in term")) {
                terms++;
                whileWithdrawn += withdrawn ? 1 : 0;
            }
        }
        return new Leadership(terms, whileWithdrawn, withdrawals);
    }

    /** The node's log so far. */
    public String log(String id) {
        try {
            Path log = node(id).log;
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Cuts node {@code id} off from its consensus peers at the socket level (see the class comment);
     * NATS traffic keeps flowing. Throws {@link UnsupportedOperationException} naming what to install
     * when iptables or cgroup v2 is missing.
     */
    public void partition(String id) {
        Optional<String> problem = HostFaults.partitionProblem();
        if (problem.isPresent()) {
            throw new UnsupportedOperationException("partition needs iptables and cgroup v2: " + problem.get());
        }
        Node n = node(id);
        if (n.cgroup == null) {
            throw new UnsupportedOperationException(id + " was not started in a cgroup (cgroup v2 missing or off)");
        }
        synchronized (n) {
            if (!n.rules.isEmpty()) {
                return;
            }
            isolate(n, "tcp");
        }
    }

    /** Drops {@code proto} into n's consensus port and from n's cgroup to its peers' ports (rules kept on n). */
    private void isolate(Node n, String proto) {
        String others = nodes.values().stream().filter(o -> o != n).map(o -> String.valueOf(o.raftPort))
                .collect(Collectors.joining(","));
        String path = "/" + cgroupRoot.get().relativize(n.cgroup);
        List<List<String>> rules = List.of(
                List.of("INPUT", "-i", "lo", "-p", proto, "--dport", String.valueOf(n.raftPort),
                        "-m", "comment", "--comment", ruleComment(), "-j", "DROP"),
                List.of("OUTPUT", "-o", "lo", "-m", "cgroup", "--path", path, "-p", proto,
                        "-m", "multiport", "--dports", others, "-m", "comment", "--comment", ruleComment(),
                        "-j", "DROP"));
        for (List<String> r : rules) {
            // -I: ahead of any ACCEPT rule already in the chain
            HostFaults.runOrThrow(HostFaults.concat(List.of("iptables", "-I"), r));
            n.rules.add(r);
        }
    }

    /**
     * As {@link #partition}, and UDP on the same ports too: Atomix runs its cluster membership over UDP
     * on the consensus port (Netty "UDP server listening ... on 0.0.0.0:port"), which the TCP-only
     * partition leaves flowing. {@link #heal} removes every rule.
     */
    public void partitionTcpAndUdp(String id) {
        partition(id);
        Node n = node(id);
        synchronized (n) {
            if (n.rules.stream().noneMatch(r -> r.contains("udp"))) {
                isolate(n, "udp");
            }
        }
    }

    /**
     * Drops every TCP packet node {@code id} sends to {@code port} on loopback (its NATS server's
     * port, say): its connection stays open but nothing it sends arrives, the half-open failure a
     * client library notices only after missed pings. {@link #heal} removes it with the partition's.
     */
    public void cutOutbound(String id, int port) {
        Optional<String> problem = HostFaults.partitionProblem();
        if (problem.isPresent()) {
            throw new UnsupportedOperationException("cutting a port needs iptables and cgroup v2: " + problem.get());
        }
        Node n = node(id);
        if (n.cgroup == null) {
            throw new UnsupportedOperationException(id + " was not started in a cgroup (cgroup v2 missing or off)");
        }
        synchronized (n) {
            List<String> r = List.of("OUTPUT", "-o", "lo", "-m", "cgroup", "--path",
                    "/" + cgroupRoot.get().relativize(n.cgroup), "-p", "tcp", "--dport", String.valueOf(port),
                    "-m", "comment", "--comment", ruleComment(), "-j", "DROP");
            HostFaults.runOrThrow(HostFaults.concat(List.of("iptables", "-I"), r));
            n.rules.add(r);
        }
    }

    /** Removes exactly the rules {@link #partition} and {@link #cutOutbound} added for {@code id}. */
    public void heal(String id) {
        Node n = node(id);
        synchronized (n) {
            for (List<String> r : n.rules) {
                HostFaults.run(HostFaults.concat(List.of("iptables", "-D"), r));
            }
            n.rules.clear();
        }
    }

    /**
     * The packets the run's rules dropped so far, per chain ({@code iptables -L <chain> -v -n -x}), e.g.
     * {@code INPUT 12 pkts, OUTPUT 30 pkts}: evidence that a partition cut traffic in both directions.
     */
    public String droppedPackets() {
        StringBuilder sb = new StringBuilder();
        for (String chain : List.of("INPUT", "OUTPUT")) {
            long pkts = 0;
            String listing = HostFaults.run(List.of("iptables", "-L", chain, "-v", "-n", "-x")).output();
            for (String line : listing.split("\n")) {
                if (line.contains("/* " + ruleComment() + " */")) {
                    pkts += Long.parseLong(line.trim().split("\\s+")[0]);
                }
            }
            sb.append(sb.length() == 0 ? "" : ", ").append(chain).append(' ').append(pkts).append(" pkts");
        }
        return sb.toString();
    }

    /** {@code true} while {@link #partition} rules for {@code id} are in place. */
    public boolean isPartitioned(String id) {
        Node n = node(id);
        synchronized (n) {
            return !n.rules.isEmpty();
        }
    }

    /** GET {@code path} on the node's admin port. */
    public AdminResponse admin(String id, String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node(id).adminPort + path))
                .timeout(Duration.ofSeconds(3)).GET().build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new AdminResponse(r.statusCode(), r.body());
    }

    /** Kills every process, deletes every rule of this run and the cgroup directories. */
    @Override
    public void close() {
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private synchronized void cleanUp() {
        closed = true;
        for (Node n : nodes.values()) {
            Process p = n.process();
            if (p != null && p.isAlive()) {
                p.destroyForcibly(); // SIGKILL ends a SIGSTOPped process too
            }
        }
        for (Node n : nodes.values()) {
            Process p = n.process();
            if (p != null) {
                try {
                    p.waitFor(15, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (Node n : nodes.values()) {
            synchronized (n) {
                n.rules.clear();
            }
        }
        if (HostFaults.run(List.of("sh", "-c", "command -v iptables")).ok()) {
            HostFaults.deleteRulesWithComment(ruleComment());
        }
        for (Node n : nodes.values()) {
            if (n.cgroup != null && HostFaults.removeCgroup(n.cgroup)) {
                n.cgroup = null;
            }
        }
    }

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /** A free loopback port not handed out before in this JVM (the OS may offer a just-closed one again). */
    private static int freePort() {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no fresh free port");
    }
}
