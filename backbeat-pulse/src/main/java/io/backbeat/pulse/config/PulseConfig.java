package io.backbeat.pulse.config;

import io.backbeat.api.ClusterId;
import io.backbeat.api.TempoPolicy;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.ConsensusSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The pulse's configuration, parsed from flags ({@code --name value}, {@code --name=value} or the
 * Go pulse's {@code -name value}) and environment variables. Precedence: flag, then environment, then
 * default. Every bad value raises {@link ConfigException} naming the flag.
 */
public record PulseConfig(String clusterId, String nodeId, double bpm, int bar, List<String> phases, double minBpm,
                          double maxBpm, List<String> natsServers, int adminPort, String adminBind, String raftHost,
                          int raftPort,
                          boolean bootstrap, List<ConsensusSettings.Peer> peers, Path dataDir, ConsensusBackend consensus,
                          Duration grace, String adminToken, NatsAuth natsAuth, Duration maxClockOffset,
                          boolean adminProtectReads, ConsensusSettings.Tls raftTls, Path signSeedFile,
                          long snapshotEvery, Path restoreFrom) {

    /** NATS credentials and TLS options passed through to jnats. */
    public record NatsAuth(String credsFile, String token, String user, String password, boolean tls,
                           String truststore, String truststorePassword, String keystore, String keystorePassword) {
        /** The fields, with the token and the passwords shown as {@code ***}. */
        @Override
        public String toString() {
            return Redacted.toString(this, java.util.Set.of("token", "password", "truststorePassword", "keystorePassword"));
        }
    }

    /** The configuration, with the admin token (and, in {@link NatsAuth}, NATS secrets) shown as {@code ***}. */
    @Override
    public String toString() {
        return Redacted.toString(this, java.util.Set.of("adminToken"));
    }

    /** Every flag's name (without {@code --}), in {@code --help} order. */
    public static java.util.Set<String> flagNames() {
        return java.util.Collections.unmodifiableSet(FLAGS.keySet());
    }

    /** Flag name → (default, help). The order is the --help order. */
    private static final Map<String, String[]> FLAGS = new LinkedHashMap<>();

    static {
        FLAGS.put("cluster", new String[]{"chorus-aus-01", "cluster id, 1-64 of [A-Za-z0-9_-] (env BACKBEAT_CLUSTER_ID)"});
        FLAGS.put("node-id", new String[]{"", "node id (generated when empty)"});
        FLAGS.put("bpm", new String[]{"12", "initial tempo in beats per minute (fractional allowed)"});
        FLAGS.put("bar", new String[]{"8", "beats per bar"});
        FLAGS.put("phases", new String[]{String.join(",", io.backbeat.api.TimelineDescriptor.DEFAULT_PHASES),
                "comma-separated phase names (the default is the one phase list of the protocol, the test kit and BeatListener)"});
        FLAGS.put("min-bpm", new String[]{"4", "lowest tempo a change may set"});
        FLAGS.put("max-bpm", new String[]{"24", "highest tempo a change may set"});
        FLAGS.put("nats", new String[]{"nats://localhost:4222", "NATS server URL(s), comma-separated"});
        FLAGS.put("admin-port", new String[]{"8080", "admin HTTP port (0 = any free port)"});
        FLAGS.put("admin-bind", new String[]{"0.0.0.0", "address the admin HTTP server listens on (127.0.0.1 = this host only)"});
        FLAGS.put("raft-tls-cert", new String[]{"", "PEM certificate chain of this node for mutual TLS between "
                + "pulse nodes (Ratis; with --raft-tls-key and --raft-tls-trust; scripts/dev-certs.sh)"});
        FLAGS.put("raft-tls-key", new String[]{"", "PEM PKCS#8 private key of this node for Raft TLS"});
        FLAGS.put("raft-tls-trust", new String[]{"", "PEM CA certificate(s) a peer's certificate must be signed by"});
        FLAGS.put("sign-seed-file", new String[]{"", "file with the cluster's NKey seed: frames and timeline replies "
                + "are signed (Ed25519) for clients that verify (make one: java -cp backbeat-pulse.jar "
                + "io.backbeat.pulse.sign.FrameSigner <file>)"});
        FLAGS.put("admin-protect-reads", new String[]{"false", "GET /metrics and /status need the admin token too "
                + "(BACKBEAT_ADMIN_TOKEN, to be set on every node)"});
        FLAGS.put("raft-bind", new String[]{"127.0.0.1:0", "consensus host:port of this node (port 0 = any free port)"});
        FLAGS.put("bootstrap", new String[]{"false", "start a new cluster (single node when --peers is empty)"});
        FLAGS.put("peers", new String[]{"", "all voting members as id@host:port,... (including this node)"});
        FLAGS.put("data-dir", new String[]{"", "consensus log directory (env BACKBEAT_DATA_DIR); required for a member "
                + "of a multi-node cluster; a single development node defaults to a temp dir"});
        FLAGS.put("restore-from", new String[]{"", "a backup file (GET /backup): a new cluster starts on its timeline "
                + "(same anchor and beat indexes) instead of a fresh grid; ignored once the cluster has a timeline"});
        FLAGS.put("snapshot-every", new String[]{String.valueOf(ConsensusSettings.DEFAULT_SNAPSHOT_EVERY),
                "consensus log entries between two snapshots of the timeline state (the log is purged up to the "
                        + "latest snapshot)"});
        FLAGS.put("consensus", new String[]{"ratis", "consensus backend: ratis or atomix"});
        FLAGS.put("grace", new String[]{"250ms", "silence after a phase start before followers call the pulse degraded"});
        FLAGS.put("max-clock-offset", new String[]{"100ms", "largest offset of this node's clock to the cluster's "
                + "(measured over NATS) at which it may lead; beyond it the node hands over and is not ready"});
        FLAGS.put("nats-creds", new String[]{"", "NATS credentials file"});
        FLAGS.put("nats-token", new String[]{"", "NATS token"});
        FLAGS.put("nats-user", new String[]{"", "NATS user"});
        FLAGS.put("nats-password", new String[]{"", "NATS password"});
        FLAGS.put("nats-tls", new String[]{"false", "use TLS to NATS"});
        FLAGS.put("nats-truststore", new String[]{"", "TLS trust store (JKS/PKCS12)"});
        FLAGS.put("nats-truststore-password", new String[]{"", "trust store password"});
        FLAGS.put("nats-keystore", new String[]{"", "TLS key store for client certificates"});
        FLAGS.put("nats-keystore-password", new String[]{"", "key store password"});
    }

    /** The text of {@code --help}. */
    public static String help() {
        StringBuilder sb = new StringBuilder("usage: java -jar backbeat-pulse.jar [flags]\n"
                + "Flags take --name value, --name=value or -name value.\n\n");
        FLAGS.forEach((name, v) -> sb.append(String.format(Locale.ROOT, "  --%-26s %s%s%n", name, v[1],
                v[0].isEmpty() ? "" : " (default " + v[0] + ")")));
        sb.append("\nEnvironment: BACKBEAT_CLUSTER_ID, BACKBEAT_DATA_DIR, BACKBEAT_LOG_LEVEL (debug|info|warn|error),\n"
                + "BACKBEAT_ADMIN_TOKEN (when set, POST /tempo needs 'Authorization: Bearer <token>').\n");
        return sb.toString();
    }

    /** {@code true} when {@code args} ask for help. */
    public static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /** Parses flags and environment. */
    public static PulseConfig parse(String[] args, Map<String, String> env) {
        Map<String, String> v = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                throw new ConfigException(a, "unexpected argument (flags start with -- or -)");
            }
            String name = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!FLAGS.containsKey(name)) {
                throw new ConfigException(name, "unknown flag (see --help)");
            }
            if (value == null) {
                boolean nextIsValue = i + 1 < args.length && !args[i + 1].startsWith("-");
                if (name.equals("bootstrap") || name.equals("nats-tls") || name.equals("admin-protect-reads")) {
                    value = nextIsValue && (args[i + 1].equals("true") || args[i + 1].equals("false")) ? args[++i] : "true";
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new ConfigException(name, "needs a value");
                }
            }
            v.put(name, value);
        }
        String cluster = pick(v, env, "cluster", "BACKBEAT_CLUSTER_ID");
        if (!ClusterId.isValid(cluster)) {
            throw new ConfigException("cluster", "'" + cluster + "' is not 1-64 characters of [A-Za-z0-9_-]");
        }
        String nodeId = pick(v, env, "node-id", null);
        if (nodeId.isEmpty()) {
            nodeId = "pulse-" + UUID.randomUUID().toString().substring(0, 8);
        } else if (!nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new ConfigException("node-id", "'" + nodeId + "' must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        double bpm = positive(v, "bpm");
        int bar = (int) whole(v, "bar", 1, 1_000_000);
        List<String> phases = new ArrayList<>();
        for (String p : pick(v, env, "phases", null).split(",")) {
            phases.add(p.trim());
        }
        double minBpm = positive(v, "min-bpm");
        double maxBpm = positive(v, "max-bpm");
        if (minBpm > maxBpm) {
            throw new ConfigException("min-bpm", minBpm + " exceeds --max-bpm " + maxBpm);
        }
        if (bpm < minBpm || bpm > maxBpm) {
            throw new ConfigException("bpm", bpm + " is outside [--min-bpm " + minBpm + ", --max-bpm " + maxBpm + "]");
        }
        try {
            TimelineDescriptor.initial(cluster, 0, bpm, bar, phases);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage().contains("phase") ? "phases" : "bpm", e.getMessage());
        }
        List<String> nats = new ArrayList<>();
        for (String s : pick(v, env, "nats", null).split(",")) {
            if (!s.isBlank()) {
                if (!s.trim().matches("(nats|tls|ws|wss)://.+")) {
                    throw new ConfigException("nats", "'" + s.trim() + "' is not a nats:// URL");
                }
                nats.add(s.trim());
            }
        }
        if (nats.isEmpty()) {
            throw new ConfigException("nats", "at least one server URL is required");
        }
        int adminPort = (int) whole(v, "admin-port", 0, 65535);
        String adminBind = pick(v, env, "admin-bind", null);
        try {
            java.net.InetAddress.getByName(adminBind);
        } catch (java.net.UnknownHostException | SecurityException e) {
            throw new ConfigException("admin-bind", "'" + adminBind + "' does not resolve to an address");
        }
        String bind = pick(v, env, "raft-bind", null);
        int colon = bind.lastIndexOf(':');
        if (colon <= 0) {
            throw new ConfigException("raft-bind", "'" + bind + "' must be host:port");
        }
        String raftHost = bind.substring(0, colon);
        int raftPort;
        try {
            raftPort = Integer.parseInt(bind.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException("raft-bind", "'" + bind + "' has a non-numeric port");
        }
        if (raftPort < 0 || raftPort > 65535) {
            throw new ConfigException("raft-bind", "port must be 0-65535, got " + raftPort);
        }
        boolean bootstrap = bool(v, "bootstrap");
        List<ConsensusSettings.Peer> peers;
        try {
            peers = ConsensusSettings.Peer.parseList(pick(v, env, "peers", null));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("peers", e.getMessage());
        }
        if (!peers.isEmpty()) {
            String id = nodeId;
            ConsensusSettings.Peer self = peers.stream().filter(p -> p.id().equals(id)).findFirst()
                    .orElseThrow(() -> new ConfigException("peers", "must include this node (--node-id " + id + ")"));
            if (raftPort == 0) {
                raftPort = self.port();
                raftHost = self.host();
            }
        } else if (!bootstrap) {
            throw new ConfigException("bootstrap", "without --peers a node must be started with --bootstrap "
                    + "(a single-node development cluster)");
        } else if (raftPort == 0) {
            raftPort = freePort(raftHost); // a single node needs a concrete port for its consensus server
        }
        String dataDir = pick(v, env, "data-dir", "BACKBEAT_DATA_DIR");
        if (dataDir.isEmpty() && peers.size() > 1) {
            throw new ConfigException("data-dir", "a member of a multi-node cluster needs --data-dir (or "
                    + "BACKBEAT_DATA_DIR) on a disk that survives restarts: a temp dir can be wiped at reboot, and a "
                    + "member that loses its log must catch up from the others (docs/operations.md, Membership)");
        }
        long snapshotEvery;
        try {
            snapshotEvery = Long.parseLong(pick(v, env, "snapshot-every", null));
        } catch (NumberFormatException e) {
            throw new ConfigException("snapshot-every", "'" + pick(v, env, "snapshot-every", null) + "' is not a number");
        }
        if (snapshotEvery < 1) {
            throw new ConfigException("snapshot-every", "must be at least 1, got " + snapshotEvery);
        }
        Path dir = dataDir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir"), "backbeat-" + cluster + "-" + nodeId)
                : Path.of(dataDir);
        ConsensusBackend consensus = ConsensusBackend.parse(pick(v, env, "consensus", null));
        Duration grace;
        try {
            grace = parseDuration(pick(v, env, "grace", null));
        } catch (RuntimeException e) {
            throw new ConfigException("grace", "'" + pick(v, env, "grace", null) + "' is not a duration such as 250ms or 1s");
        }
        if (grace.isNegative() || grace.isZero()) {
            throw new ConfigException("grace", "must be longer than zero, got " + pick(v, env, "grace", null));
        }
        Duration maxOffset;
        try {
            maxOffset = parseDuration(pick(v, env, "max-clock-offset", null));
        } catch (RuntimeException e) {
            throw new ConfigException("max-clock-offset", "'" + pick(v, env, "max-clock-offset", null)
                    + "' is not a duration such as 100ms or 1s");
        }
        if (maxOffset.isNegative() || maxOffset.isZero()) {
            throw new ConfigException("max-clock-offset", "must be longer than zero, got "
                    + pick(v, env, "max-clock-offset", null));
        }
        String token = env.getOrDefault("BACKBEAT_ADMIN_TOKEN", "");
        NatsAuth auth = new NatsAuth(v.getOrDefault("nats-creds", ""), v.getOrDefault("nats-token", ""),
                v.getOrDefault("nats-user", ""), v.getOrDefault("nats-password", ""), bool(v, "nats-tls"),
                v.getOrDefault("nats-truststore", ""), v.getOrDefault("nats-truststore-password", ""),
                v.getOrDefault("nats-keystore", ""), v.getOrDefault("nats-keystore-password", ""));
        return new PulseConfig(cluster, nodeId, bpm, bar, List.copyOf(phases), minBpm, maxBpm, List.copyOf(nats),
                adminPort, adminBind, raftHost, raftPort, bootstrap, peers, dir, consensus, grace, token, auth,
                maxOffset, bool(v, "admin-protect-reads"), raftTls(v, consensus),
                seedFile(v), snapshotEvery, restoreFile(v));
    }

    /** The tempo rules. */
    public TempoPolicy tempoPolicy() {
        return TempoPolicy.of(minBpm, maxBpm);
    }

    /** The consensus settings of this node. */
    public ConsensusSettings consensusSettings() {
        return new ConsensusSettings(clusterId, nodeId, raftHost, raftPort, peers, dataDir, raftTls, snapshotEvery);
    }

    private static int freePort(String host) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new ConfigException("raft-bind", "cannot bind " + host + ": " + e.getMessage());
        }
    }

    private static String pick(Map<String, String> v, Map<String, String> env, String flag, String envName) {
        if (v.containsKey(flag)) {
            return v.get(flag).trim();
        }
        if (envName != null && env.get(envName) != null && !env.get(envName).isBlank()) {
            return env.get(envName).trim();
        }
        return FLAGS.get(flag)[0];
    }

    private static double positive(Map<String, String> v, String flag) {
        String s = v.getOrDefault(flag, FLAGS.get(flag)[0]).trim();
        double d;
        try {
            d = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(flag, "'" + s + "' is not a number");
        }
        if (!Double.isFinite(d) || d <= 0) {
            throw new ConfigException(flag, "must be a finite number > 0, got " + s);
        }
        return d;
    }

    private static long whole(Map<String, String> v, String flag, long min, long max) {
        String s = v.getOrDefault(flag, FLAGS.get(flag)[0]).trim();
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(flag, "'" + s + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new ConfigException(flag, "must be between " + min + " and " + max + ", got " + n);
        }
        return n;
    }

    private static Path restoreFile(Map<String, String> v) {
        String f = v.getOrDefault("restore-from", "").trim();
        if (f.isEmpty()) {
            return null;
        }
        Path p = Path.of(f);
        if (!java.nio.file.Files.isReadable(p) || java.nio.file.Files.isDirectory(p)) {
            throw new ConfigException("restore-from", "'" + p + "' is not a readable file");
        }
        return p;
    }

    private static Path seedFile(Map<String, String> v) {
        String f = v.getOrDefault("sign-seed-file", "").trim();
        if (f.isEmpty()) {
            return null;
        }
        Path p = Path.of(f);
        if (!java.nio.file.Files.isReadable(p) || java.nio.file.Files.isDirectory(p)) {
            throw new ConfigException("sign-seed-file", "'" + p + "' is not a readable file");
        }
        return p;
    }

    /** The three TLS flags: all or none, each an existing readable file; Ratis only. */
    private static ConsensusSettings.Tls raftTls(Map<String, String> v, ConsensusBackend consensus) {
        List<String> names = List.of("raft-tls-cert", "raft-tls-key", "raft-tls-trust");
        List<String> given = names.stream().filter(n -> !v.getOrDefault(n, "").isBlank()).toList();
        if (given.isEmpty()) {
            return null;
        }
        for (String n : names) {
            if (!given.contains(n)) {
                throw new ConfigException(n, "is required with " + String.join(" and ", given.stream()
                        .map(g -> "--" + g).toList()) + " (mutual TLS needs a certificate, its key and the trusted CAs)");
            }
            Path p = Path.of(v.get(n).trim());
            if (!java.nio.file.Files.isReadable(p) || java.nio.file.Files.isDirectory(p)) {
                throw new ConfigException(n, "'" + p + "' is not a readable file");
            }
        }
        if (consensus != ConsensusBackend.RATIS) {
            throw new ConfigException("raft-tls-cert", "TLS between nodes is supported with --consensus ratis only "
                    + "(Atomix 3.1 has no TLS for its Raft traffic; keep its port on a private network)");
        }
        return new ConsensusSettings.Tls(Path.of(v.get("raft-tls-cert").trim()), Path.of(v.get("raft-tls-key").trim()),
                Path.of(v.get("raft-tls-trust").trim()));
    }

    private static boolean bool(Map<String, String> v, String flag) {
        String s = v.getOrDefault(flag, FLAGS.get(flag)[0]).trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ConfigException(flag, "'" + s + "' is not true or false");
        };
    }

    static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofMillis((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        }
        return Duration.parse(s.trim());
    }
}
