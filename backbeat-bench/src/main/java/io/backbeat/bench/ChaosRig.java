package io.backbeat.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one chaos scenario runs on: one nats-server (or three routed ones), three pulse processes
 * {@code c1..c3}, one outside {@link Observer} per nats-server and a {@link ClientWatch} on all of them.
 * {@link #close()} undoes everything in reverse order.
 */
final class ChaosRig implements AutoCloseable {
    static final String CLUSTER = "chaos";
    static final List<String> IDS = List.of("c1", "c2", "c3");
    /** plan, execute, review. */
    static final int PHASES = 3;

    private final Path dir;
    private final List<NatsTestServer> nats = new ArrayList<>();
    private final List<Observer> observers = new ArrayList<>();
    private PulseProcessCluster cluster;
    private ClientWatch client;

    private ChaosRig(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts the rig for {@code scenario}: NATS, the cluster (with the scenario's changes), the observers;
     * returns once 12 frames have arrived and the client follows the beat.
     */
    static ChaosRig start(ChaosScenario scenario, String consensus, String bpm, Path dir) throws Exception {
        ChaosRig rig = new ChaosRig(dir);
        try {
            if (scenario.natsServers() == 1) {
                rig.nats.add(NatsTestServer.start());
            } else {
                rig.nats.addAll(NatsTestServer.cluster(scenario.natsServers()));
                NatsTestServer.awaitRouted(rig.nats);
            }
            List<String> flags = new ArrayList<>(PulseProcessCluster.DEFAULT_FLAGS);
            flags.set(flags.indexOf("--bpm") + 1, bpm);
            PulseProcessCluster.Builder b = PulseProcessCluster.builder(rig.nats.get(0).url(), dir).cluster(CLUSTER)
                    .consensus(consensus).nodes(IDS.toArray(String[]::new)).flags(flags);
            scenario.configure(b, rig);
            rig.cluster = b.build();
            for (NatsTestServer n : rig.nats) {
                rig.observers.add(Observer.connect(n.url(), CLUSTER));
            }
            rig.cluster.startAll();
            if (!rig.observer().awaitFrames(12, Duration.ofSeconds(90))) {
                throw new IllegalStateException("no beat within 90 s of launch; logs in " + dir);
            }
            // a fault is injected only once every member can serve its role: a member still catching up
            // (three JVMs starting on two cores) cannot help elect a new leader (a run lost 6 s that way)
            for (String id : IDS) {
                if (!scenario.unreadyByDesign().contains(id)) {
                    rig.awaitReady(id, Duration.ofSeconds(60));
                }
            }
            rig.client = ClientWatch.connect(CLUSTER, PHASES, rig.urls().toArray(String[]::new));
            Thread.sleep(2000);
            return rig;
        } catch (Exception | Error e) {
            rig.close();
            throw e;
        }
    }

    Path dir() {
        return dir;
    }

    List<NatsTestServer> nats() {
        return nats;
    }

    List<String> urls() {
        return nats.stream().map(NatsTestServer::url).toList();
    }

    PulseProcessCluster cluster() {
        return cluster;
    }

    /** The observer on the first nats-server. */
    Observer observer() {
        return observers.get(0);
    }

    /** One observer per nats-server, in server order. */
    List<Observer> observers() {
        return observers;
    }

    ClientWatch client() {
        return client;
    }

    /** The latest frame seen by any observer (its leader leads now), or {@code null}. */
    Observer.Arrival latest() {
        Observer.Arrival best = null;
        for (Observer o : observers) {
            Observer.Arrival a = o.last();
            if (a != null && (best == null || a.nanos() > best.nanos())) {
                best = a;
            }
        }
        return best;
    }

    /**
     * Waits (up to {@code timeout}) until node {@code id} names a consensus leader on its {@code /leader}:
     * it has rejoined. The milliseconds waited, or -1 (timed out, or the node is not running).
     */
    long awaitRejoined(String id, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (System.nanoTime() < deadline && cluster.isAlive(id)) {
            Object leader = adminField(id, "/leader", "leader");
            if (leader != null && !leader.toString().isEmpty()) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(200);
        }
        return -1;
    }

    /** {@code STATUS body} of GET {@code path} on node {@code id}, on one line, or what went wrong. */
    /** Waits until node {@code id} answers {@code /ready} 200; fails with its last answer. */
    void awaitReady(String id, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() - end < 0) {
            last = adminLine(id, "/ready");
            if (last.startsWith("200")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(id + " not ready within " + timeout.toSeconds() + " s of launch; last /ready: "
                + last + "; logs in " + dir);
    }

    String adminLine(String id, String path) {
        try {
            PulseProcessCluster.AdminResponse r = cluster.admin(id, path);
            return r.status() + " " + r.body().replace('\n', ' ');
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** A field of node {@code id}'s admin JSON at {@code path}, or {@code null} when it does not answer. */
    Object adminField(String id, String path, String field) {
        try {
            PulseProcessCluster.AdminResponse r = cluster.admin(id, path);
            Map<String, Object> m = Json.read(r.body());
            return m.get(field);
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        observers.forEach(Observer::close);
        if (cluster != null) {
            cluster.close();
        }
        nats.forEach(NatsTestServer::close);
    }

    /** Reads an admin answer. */
    static final class Json {
        private static final ObjectMapper MAPPER = new ObjectMapper();

        private Json() {
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> read(String body) {
            try {
                return MAPPER.readValue(body, Map.class);
            } catch (IOException e) {
                throw new IllegalArgumentException("not a JSON object: " + body, e);
            }
        }
    }
}
