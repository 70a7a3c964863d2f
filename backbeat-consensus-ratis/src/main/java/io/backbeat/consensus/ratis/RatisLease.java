package io.backbeat.consensus.ratis;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The leader lease of {@link RatisConsensus}: for how long a majority has confirmed this leader,
 * from the ages of the voting followers' last append-entries responses.
 */
final class RatisLease {
    private RatisLease() {
    }

    /**
     * The lease left in nanoseconds: {@code lease} minus the age of the {@code k}-th youngest
     * response among the voting followers ({@code k} = followers needed for a majority); 0 when this
     * member does not lead, is not ready, leads a term below {@code highestTerm}, or lacks responses.
     */
    static long remainingNanos(RaftServer.Division division, LongSupplier highestTerm, Duration lease) {
        try {
            DivisionInfo info = division.getInfo();
            if (!info.isLeader() || !info.isLeaderReady() || info.getCurrentTerm() < highestTerm.getAsLong()) {
                return 0;
            }
            Set<String> voters = division.getRaftConf().getCurrentPeers().stream().map(p -> p.getId().toString())
                    .collect(Collectors.toSet());
            int needed = voters.size() / 2; // followers that, with this node, make a majority
            if (needed == 0) {
                return Long.MAX_VALUE;
            }
            RoleInfoProto role = info.getRoleInfoProto();
            if (!role.hasLeaderInfo()) {
                return 0;
            }
            long[] elapsedMs = role.getLeaderInfo().getFollowerInfoList().stream()
                    .filter(f -> voters.contains(f.getId().getId().toStringUtf8()))
                    .mapToLong(ServerRpcProto::getLastRpcElapsedTimeMs).sorted().toArray();
            if (elapsedMs.length < needed) {
                return 0;
            }
            // +1 ms: the elapsed time is truncated to whole milliseconds
            return Math.max(0, lease.toNanos() - (elapsedMs[needed - 1] + 1) * 1_000_000L);
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
