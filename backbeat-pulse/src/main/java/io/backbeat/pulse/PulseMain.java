package io.backbeat.pulse;

import io.backbeat.api.SchedulingClock;
import io.backbeat.pulse.admin.AdminServer;
import io.backbeat.pulse.clock.ClockSync;
import io.backbeat.pulse.config.ConfigException;
import io.backbeat.pulse.config.PulseConfig;
import io.backbeat.consensus.Consensus;
import io.backbeat.pulse.metrics.PulseMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.backbeat.nats.NatsConnectionSettings;
import io.nats.client.Options;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar backbeat-pulse.jar [flags]}: one pulse node. Exit status 2 for a bad flag, 1 when
 * the node cannot start (the cause is printed); a SIGTERM stops the node within
 * {@link #STOP_BOUND} (hand-over included), or the process halts.
 */
public final class PulseMain {
    /**
     * The JDK packages Atomix needs opened to the class path. The jar's manifest carries them as
     * {@code Add-Opens}, so {@code java -jar} needs nothing; a {@code -cp} launch passes each as
     * {@code --add-opens=<package>=ALL-UNNAMED}.
     */
    public static final List<String> ADD_OPENS = List.of("java.base/java.util.concurrent.atomic", "java.base/java.util",
            "java.base/java.lang", "java.base/java.nio", "java.base/sun.nio.ch");
    /**
     * The longest a stop may take; past it the process halts (SIGTERM must not hang on dead peers). The
     * promise is 3 s from the signal to the exit; 2.3 s leaves the rest for the JVM to deliver the signal,
     * start its hooks and halt on a loaded machine (a CI run measured 3.25 s with a 2.9 s bound).
     */
    public static final Duration STOP_BOUND = Duration.ofMillis(2300);

    private PulseMain() {
    }

    public static void main(String[] args) throws Exception {
        String level = System.getenv("BACKBEAT_LOG_LEVEL");
        if (level != null && !level.isBlank()) {
            String l = level.trim().toLowerCase(Locale.ROOT);
            if (!l.matches("trace|debug|info|warn|error")) {
                System.err.println("BACKBEAT_LOG_LEVEL: '" + level + "' is not one of debug, info, warn, error");
                System.exit(2);
            }
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", l);
        }
        julFollows(level == null || level.isBlank() ? "info" : level.trim().toLowerCase(Locale.ROOT));
        if (PulseConfig.wantsHelp(args)) {
            System.out.print(PulseConfig.help());
            return;
        }
        PulseConfig cfg;
        try {
            cfg = PulseConfig.parse(args, System.getenv());
        } catch (ConfigException e) {
            System.err.println("backbeat-pulse: " + e.getMessage());
            System.err.println("run with --help for every flag");
            System.exit(2);
            return;
        }
        Running running;
        try {
            running = start(cfg, System.out);
        } catch (Throwable e) {
            // without this, Ratis/gRPC/NATS threads keep a JVM with no working node alive
            org.slf4j.LoggerFactory.getLogger(PulseMain.class).error("backbeat-pulse {} could not start", cfg.nodeId(), e);
            System.err.println("backbeat-pulse: could not start: " + PulseNode.rootCause(e));
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Thread closing = Thread.currentThread();
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(STOP_BOUND.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                StringBuilder where = new StringBuilder();
                for (StackTraceElement e : closing.getStackTrace()) {
                    where.append("\n\tat ").append(e);
                }
                System.err.println("backbeat-pulse: stop took longer than " + STOP_BOUND.toMillis() + " ms; halting. "
                        + "The stop was at:" + where);
                System.err.flush();
                Runtime.getRuntime().halt(143);
            }, "backbeat-stop-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            running.close();
            watchdog.interrupt();
            stop.countDown();
        }, "backbeat-shutdown"));
        stop.await();
    }

    /**
     * gRPC and Netty inside Ratis log through java.util.logging, outside slf4j: their threshold follows
     * {@code BACKBEAT_LOG_LEVEL} too, one step stricter (a connection that sends garbage is not worth
     * an INFO line, let alone a stack trace, at the default level).
     */
    static void julFollows(String level) {
        java.util.logging.Level jul = switch (level) {
            case "trace", "debug" -> java.util.logging.Level.FINE;
            case "info" -> java.util.logging.Level.WARNING;
            default -> java.util.logging.Level.SEVERE;
        };
        java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
        root.setLevel(jul);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(jul);
        }
    }

    /** A started node with its admin server and NATS connection. */
    public record Running(PulseNode node, AdminServer admin, Connection nats, ClockSync clockSync)
            implements AutoCloseable {
        @Override
        public void close() {
            admin.close();
            node.close();
            clockSync.close();
            try {
                nats.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts a node from a configuration (used by {@link #main} and by tests). */
    public static Running start(PulseConfig cfg, PrintStream out) throws Exception {
        Connection nc = Nats.connectReconnectOnConnect(natsOptions(cfg));
        try {
            return startOn(nc, cfg, out);
        } catch (Exception | Error e) {
            nc.close();
            throw e;
        }
    }

    private static Running startOn(Connection nc, PulseConfig cfg, PrintStream out) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("cluster", cfg.clusterId(), "node", cfg.nodeId());
        PulseMetrics metrics = new PulseMetrics(registry, cfg.clusterId(), cfg.nodeId());
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.FileDescriptorMetrics().bindTo(registry);
        Consensus consensus = cfg.consensus().create(cfg.consensusSettings());
        PulseNode node = new PulseNode(cfg.clusterId(), cfg.nodeId(), consensus, nc,
                metrics, cfg.tempoPolicy(), cfg.bpm(), cfg.bar(), cfg.phases(), cfg.grace());
        if (cfg.restoreFrom() != null) {
            Backup backup;
            try {
                backup = Backup.read(cfg.restoreFrom());
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new ConfigException("restore-from", cfg.restoreFrom() + ": " + e.getMessage());
            }
            if (!backup.clusterId().equals(cfg.clusterId())) {
                throw new ConfigException("restore-from", "the backup is of cluster '" + backup.clusterId()
                        + "', this node is in '" + cfg.clusterId() + "' (--cluster)");
            }
            node.restoreFrom(backup);
        }
        if (cfg.signSeedFile() != null) {
            try {
                io.backbeat.pulse.sign.FrameSigner signer = io.backbeat.pulse.sign.FrameSigner.fromSeedFile(
                        cfg.signSeedFile());
                node.signWith(signer);
                org.slf4j.LoggerFactory.getLogger(PulseMain.class).info("frames and timeline replies are signed; "
                        + "clients verify with public key {}", signer.publicKey());
            } catch (java.io.IOException | java.security.GeneralSecurityException e) {
                throw new ConfigException("sign-seed-file", e.getMessage());
            }
        }
        ClockSync clockSync = new ClockSync(nc, cfg.clusterId(), cfg.nodeId(), SchedulingClock.system())
                .advertiseLogPosition(consensus::lastLogEntry);
        node.clockDiscipline(clockSync, cfg.maxClockOffset());
        Gauge.builder("backbeat.clock.offset.seconds", node,
                        n -> n.clockVerdict().offsetNanos().isPresent() ? n.clockVerdict().offsetNanos().getAsLong() / 1e9
                                : Double.NaN)
                .description("this node's wall clock minus the cluster's clock (the majority it agrees with, or the one "
                        + "it disagrees with when skewed), measured over NATS; positive = ahead; NaN while no peer answered")
                .register(registry);
        Gauge.builder("backbeat.clock.trusted", node, n -> n.clockVerdict().trusted() ? 1 : 0)
                .description("1 while a majority of the cluster agrees with this node's clock within --max-clock-offset, "
                        + "else 0 (skewed, unmeasured or undecided: see /health)").register(registry);
        Gauge.builder("backbeat.clock.rate.ppm", clockSync,
                        c -> c.rate().isPresent() ? c.rate().getAsDouble() * 1e6 : Double.NaN)
                .description("this node's clock rate error against its peers' clocks, parts per million; positive = "
                        + "this clock runs fast; NaN until fitted (a few seconds of probes)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("backbeat.consensus.commands.rejected", consensus,
                        Consensus::rejectedCommands)
                .description("replicated commands this node's replica refused: malformed, outside the tempo policy, "
                        + "or a leadership record not written by that term's leader").register(registry);
        try {
            clockSync.start();
            node.start();
        } catch (Exception | Error e) {
            node.close();
            clockSync.close();
            throw e;
        }
        InetSocketAddress adminAddress = new InetSocketAddress(InetAddress.getByName(cfg.adminBind()), cfg.adminPort());
        AdminServer admin = new AdminServer(adminAddress, node, registry, cfg.adminToken(),
                cfg.adminProtectReads());
        String adminHost = adminAddress.getAddress().isAnyLocalAddress() ? "127.0.0.1" : cfg.adminBind();
        out.printf("backbeat-pulse %s: cluster %s, consensus %s on %s:%d, peers %s, admin http://%s:%d%n",
                cfg.nodeId(), cfg.clusterId(), cfg.consensus(), cfg.raftHost(), cfg.raftPort(),
                cfg.peers().isEmpty() ? "(single node)" : cfg.peers(), adminHost, admin.port());
        if (cfg.adminToken().isEmpty() && !adminAddress.getAddress().isLoopbackAddress()) {
            org.slf4j.LoggerFactory.getLogger(PulseMain.class).warn("POST /tempo is open to anyone who can reach "
                    + "{}:{}; set BACKBEAT_ADMIN_TOKEN or --admin-bind 127.0.0.1", cfg.adminBind(), admin.port());
        }
        out.flush();
        return new Running(node, admin, nc, clockSync);
    }

    /**
     * The pulse's NATS connection: the servers in the order given (operators list the nearest first,
     * the rest are for failover), and no reconnect buffer (a frame that cannot go out now must never
     * arrive late); credentials and TLS from the {@code --nats-*} flags.
     */
    static NatsConnectionSettings natsSettings(PulseConfig cfg) {
        NatsConnectionSettings.Builder b = NatsConnectionSettings.builder(cfg.natsServers())
                .connectionName("backbeat-pulse-" + cfg.nodeId()).randomize(false).reconnectBufferBytes(0)
                .reconnectWait(Duration.ofMillis(250)).pingInterval(Duration.ofSeconds(2));
        PulseConfig.NatsAuth a = cfg.natsAuth();
        flag("nats-creds", () -> {
            if (!a.credsFile().isEmpty()) {
                b.credentials(java.nio.file.Path.of(a.credsFile()));
            }
        });
        flag("nats-token", () -> {
            if (!a.token().isEmpty()) {
                b.token(a.token());
            }
        });
        flag("nats-user", () -> {
            if (!a.user().isEmpty()) {
                b.userInfo(a.user(), a.password());
            }
        });
        b.tls(a.tls());
        flag("nats-truststore", () -> {
            if (!a.truststore().isEmpty()) {
                b.trustStore(java.nio.file.Path.of(a.truststore()), a.truststorePassword());
            }
        });
        flag("nats-keystore", () -> {
            if (!a.keystore().isEmpty()) {
                b.keyStore(java.nio.file.Path.of(a.keystore()), a.keystorePassword());
            }
        });
        return b.build();
    }

    /** A bad value stops start-up with a message naming its flag. */
    private static void flag(String name, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, e.getMessage());
        }
    }

    /** The jnats options of {@link #natsSettings}. */
    static Options natsOptions(PulseConfig cfg) throws java.io.IOException {
        return natsSettings(cfg).toOptions(null);
    }

}
