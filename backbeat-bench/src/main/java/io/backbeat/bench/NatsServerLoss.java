package io.backbeat.bench;

import io.backbeat.pulse.fault.HostFaults;
import io.backbeat.pulse.fault.PulseProcessCluster;
import io.backbeat.testkit.NatsTestServer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Three routed nats-servers; node {@code c<i>} prefers server {@code i} ({@code --nats own,next,next}).
 * The fault stops the server the leader is connected to (found with {@code ss}; after an earlier round the
 * leader may sit on its failover server), watched by the observer on the next server; settling starts the
 * server again and waits for the routes. The beat may go on with the same leader (its connection fails
 * over), so no change of leadership is required.
 */
final class NatsServerLoss extends ChaosScenario {
    private static final Pattern PEER = Pattern.compile("\\S+:(\\d+)\\s+users:\\(\\(\"[^\"]*\",pid=(\\d+),");
    private int stopped = -1;

    NatsServerLoss() {
        super("natsserver");
    }

    @Override
    int natsServers() {
        return 3;
    }

    @Override
    void configure(PulseProcessCluster.Builder b, ChaosRig rig) {
        List<String> urls = rig.urls();
        for (int i = 0; i < ChaosRig.IDS.size(); i++) {
            b.nodeFlags(ChaosRig.IDS.get(i), "--nats", urls.get(i) + "," + urls.get((i + 1) % 3) + ","
                    + urls.get((i + 2) % 3));
        }
    }

    @Override
    Fault inject(ChaosRig rig, String leader) {
        int server = connectedServer(rig, leader);
        String how = "connected, by ss";
        if (server < 0) {
            server = ChaosRig.IDS.indexOf(leader);
            how = "its own: ss found no connection";
        }
        Fault f = new Fault(System.nanoTime(), rig.observers().get((server + 1) % 3), "stopped nats-server "
                + (server + 1) + " (" + leader + "'s, " + how + "), watched from server " + ((server + 1) % 3 + 1));
        rig.nats().get(server).stop();
        stopped = server;
        return f;
    }

    @Override
    String settle(ChaosRig rig, String leader) {
        long t0 = System.nanoTime();
        rig.nats().get(stopped).restart();
        NatsTestServer.awaitRouted(rig.nats());
        return String.format("nats-server %d restarted, routed again after %d ms", stopped + 1,
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    boolean movesLeadership() {
        return false;
    }

    /** The index of the nats-server node {@code id}'s process has an established connection to, or -1. */
    private static int connectedServer(ChaosRig rig, String id) {
        long pid = rig.cluster().pid(id);
        List<Integer> ports = rig.nats().stream().map(NatsTestServer::port).toList();
        String out = HostFaults.run(List.of("ss", "-tnpH", "state", "established")).output();
        for (String line : out.split("\n")) {
            Matcher m = PEER.matcher(line);
            if (m.find() && Long.parseLong(m.group(2)) == pid && ports.contains(Integer.parseInt(m.group(1)))) {
                return ports.indexOf(Integer.parseInt(m.group(1)));
            }
        }
        return -1;
    }
}
