package io.backbeat.consensus.ratis;

import io.backbeat.consensus.ConsensusSettings;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Ratis configuration of {@link RatisConsensus} built from {@link ConsensusSettings}: the server's
 * {@link RaftProperties} (address, storage, election timeouts, snapshots and log purging), the
 * forwarding client's, and the gRPC {@link Parameters} (mutual TLS when configured).
 */
final class RatisSettings {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class); // its log lines, as before

    /** The shortest wait before a member's first election after start (a cluster of several members). */
    static final long FIRST_ELECTION_MIN_MS = 1000;

    private RatisSettings() {
    }

    /** The Raft server's properties. */
    static RaftProperties server(ConsensusSettings settings) {
        RaftProperties props = new RaftProperties();
        // the configured host only (Ratis listens on every interface when no host is set)
        GrpcConfigKeys.Server.setHost(props, settings.bindHost().isBlank() ? settings.self().host() : settings.bindHost());
        GrpcConfigKeys.Server.setPort(props, settings.self().port());
        RaftServerConfigKeys.setStorageDir(props, List.of(settings.dataDir().toFile()));
        RaftServerConfigKeys.Rpc.setTimeoutMin(props,
                TimeDuration.valueOf(RatisConsensus.ELECTION_MIN_MS, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props,
                TimeDuration.valueOf(RatisConsensus.ELECTION_MAX_MS, TimeUnit.MILLISECONDS));
        // the first election after start waits 1-1.5 s (not one election timeout) when there are peers: a node
        // under clock discipline has measured its clock by then and a skewed one has withdrawn before it could
        // stand (a withdrawal stops no election already running; at a cluster's birth one was seen to win so)
        if (settings.members().size() > 1) {
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(props,
                    TimeDuration.valueOf(FIRST_ELECTION_MIN_MS, TimeUnit.MILLISECONDS));
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(props,
                    TimeDuration.valueOf(FIRST_ELECTION_MIN_MS + 500, TimeUnit.MILLISECONDS));
        }
        // a leader that stepped down (it lost its majority: stalled, cut off) may stand again after an election
        // timeout, not 10 s (Ratis' default): with a member withdrawn from elections (a skewed clock) it can be
        // the only candidate left, and pre-vote keeps a node that is still cut off from disturbing the others
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(props,
                TimeDuration.valueOf(RatisConsensus.ELECTION_MAX_MS, TimeUnit.MILLISECONDS));
        // snapshots of the (tiny) timeline state every SNAPSHOT_EVERY entries; the log is purged up to the
        // latest one in small segments, and a member whose log is gone receives the snapshot
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, settings.snapshotEvery());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, 1);
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, org.apache.ratis.util.SizeInBytes.valueOf("64KB"));
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(props, true);
        return props;
    }

    /** The properties of a client whose requests give up on an unresponsive node after 1 s (default 3 s). */
    static RaftProperties shortRequests() {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(1, TimeUnit.SECONDS));
        return props;
    }

    /**
     * gRPC parameters: with {@link ConsensusSettings#tls()}, mutual TLS on the server, on the client
     * this node uses to forward commands, and on admin calls (hand-over).
     */
    static Parameters tlsParameters(ConsensusSettings settings) {
        Parameters parameters = new Parameters();
        ConsensusSettings.Tls tls = settings.tls();
        if (tls != null) {
            org.apache.ratis.grpc.GrpcTlsConfig conf = new org.apache.ratis.grpc.GrpcTlsConfig(
                    tls.privateKey().toFile(), tls.certChain().toFile(), tls.trustedCas().toFile(), true);
            GrpcConfigKeys.TLS.setConf(parameters, conf);
            GrpcConfigKeys.Server.setTlsConf(parameters, conf);
            GrpcConfigKeys.Client.setTlsConf(parameters, conf);
            GrpcConfigKeys.Admin.setTlsConf(parameters, conf);
            LOG.info("Raft traffic of {} uses mutual TLS (certificate {}, trusted CAs {})", settings.nodeId(),
                    tls.certChain(), tls.trustedCas());
        }
        return parameters;
    }
}
