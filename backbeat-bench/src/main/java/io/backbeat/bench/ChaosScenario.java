package io.backbeat.bench;

import io.backbeat.pulse.fault.HostFaults;
import io.backbeat.pulse.fault.Observer;
import io.backbeat.pulse.fault.PulseProcessCluster;

import java.util.List;
import java.util.Optional;

/**
 * One chaos scenario: how its rig differs from the plain one (three pulse processes on one nats-server),
 * the fault it injects into the current leader, and how the fault is undone. The simple ones are here;
 * {@link ClockFault} (skew, rate), {@link NatsServerLoss} and {@link DiskFull} have their own files.
 */
abstract class ChaosScenario implements AutoCloseable {
    static final List<String> ALL = List.of("kill", "stopcont", "partition", "skew", "rate", "natsloss", "natscut",
            "natsserver", "diskfull");

    /**
     * What {@link #inject} did: the instant the gap is measured from, the observer that saw the whole fault
     * (on a nats-server that stayed up), and a note for the log ({@code ""} for none).
     */
    record Fault(long atNanos, Observer watcher, String note) {
    }

    private final String name;

    ChaosScenario(String name) {
        this.name = name;
    }

    static ChaosScenario of(String name) {
        return switch (name) {
            case "kill" -> new Kill(name);
            case "stopcont" -> new StopCont();
            case "partition" -> new Partition();
            case "skew" -> ClockFault.skew();
            case "rate" -> ClockFault.rate();
            case "natsloss" -> new NatsLoss();
            case "natscut" -> new NatsCut();
            case "natsserver" -> new NatsServerLoss();
            case "diskfull" -> new DiskFull();
            default -> throw new IllegalArgumentException("unknown scenario " + name + " (" + String.join(", ", ALL)
                    + ")");
        };
    }

    String name() {
        return name;
    }

    /** Why the scenario cannot run on this host; empty when it can. */
    Optional<String> problem() {
        return Optional.empty();
    }

    /** How many nats-servers the rig starts (more than one: routed into one NATS cluster). */
    int natsServers() {
        return 1;
    }

    /** Changes the cluster before it is built (environment, flags, data dirs); {@link #close()} undoes it. */
    void configure(PulseProcessCluster.Builder b, ChaosRig rig) throws Exception {
    }

    /** Nodes that are not ready by design before the first fault (a clock set wrong from the start). */
    java.util.Set<String> unreadyByDesign() {
        return java.util.Set.of();
    }

    /** Injects the fault into {@code leader} (or its NATS). */
    abstract Fault inject(ChaosRig rig, String leader) throws Exception;

    /** Undoes the fault once it has been observed; a note for the log ({@code ""} for none). */
    abstract String settle(ChaosRig rig, String leader) throws Exception;

    /** Whether the fault must move the beat to another term or leader within the promised gap. */
    boolean movesLeadership() {
        return true;
    }

    /** Lines for the end of the scenario's report (each starting {@code chaos <name>:}). */
    List<String> report(ChaosRig rig) {
        return List.of();
    }

    @Override
    public void close() {
    }

    /** A fault starting now, watched from the first nats-server. */
    static Fault now(ChaosRig rig, String note) {
        return new Fault(System.nanoTime(), rig.observer(), note);
    }

    /** SIGKILL, started again on its data dir when settling. */
    static class Kill extends ChaosScenario {
        Kill(String name) {
            super(name);
        }

        @Override
        Fault inject(ChaosRig rig, String leader) throws Exception {
            Fault f = now(rig, "");
            rig.cluster().kill(leader);
            return f;
        }

        @Override
        String settle(ChaosRig rig, String leader) throws Exception {
            beforeRestart(leader);
            rig.cluster().start(leader);
            return "";
        }

        /** Called just before the killed node starts again. */
        void beforeRestart(String id) {
        }
    }

    /** SIGSTOP, SIGCONT when settling. */
    static final class StopCont extends ChaosScenario {
        StopCont() {
            super("stopcont");
        }

        @Override
        Fault inject(ChaosRig rig, String leader) {
            Fault f = now(rig, "");
            rig.cluster().stop(leader);
            return f;
        }

        @Override
        String settle(ChaosRig rig, String leader) {
            rig.cluster().cont(leader);
            return "";
        }
    }

    /**
     * iptables cuts the leader's consensus traffic, TCP and UDP (Atomix's membership runs over UDP on the
     * consensus port; Ratis uses TCP only), NATS keeps flowing; healed when settling.
     */
    static final class Partition extends ChaosScenario {
        Partition() {
            super("partition");
        }

        @Override
        Optional<String> problem() {
            return HostFaults.partitionProblem();
        }

        @Override
        Fault inject(ChaosRig rig, String leader) {
            Fault f = now(rig, "");
            rig.cluster().partitionTcpAndUdp(leader);
            return f;
        }

        @Override
        String settle(ChaosRig rig, String leader) {
            String dropped = rig.cluster().droppedPackets();
            rig.cluster().heal(leader);
            return "iptables dropped " + dropped + " in all";
        }
    }

    /**
     * Every packet the leader sends to its nats-server is dropped: the connection goes half-open (frames go
     * nowhere, nothing says so until pings are missed); healed when settling.
     */
    static final class NatsCut extends ChaosScenario {
        NatsCut() {
            super("natscut");
        }

        @Override
        Optional<String> problem() {
            return HostFaults.partitionProblem();
        }

        @Override
        Fault inject(ChaosRig rig, String leader) {
            Fault f = now(rig, "");
            rig.cluster().cutOutbound(leader, rig.nats().get(0).port());
            return f;
        }

        @Override
        String settle(ChaosRig rig, String leader) {
            rig.cluster().heal(leader);
            return "";
        }
    }

    /** The only nats-server stopped for 3 s and started on the same port; the gap counts from the restart. */
    static final class NatsLoss extends ChaosScenario {
        NatsLoss() {
            super("natsloss");
        }

        @Override
        Fault inject(ChaosRig rig, String leader) throws InterruptedException {
            rig.nats().get(0).stop();
            Thread.sleep(3000);
            rig.nats().get(0).restart();
            return now(rig, "nats-server down 3 s; gap from its restart");
        }

        @Override
        String settle(ChaosRig rig, String leader) {
            return "";
        }

        @Override
        boolean movesLeadership() {
            return false;
        }
    }
}
