package io.backbeat.consensus.ratis;

import io.backbeat.api.TimelineDescriptor;
import io.backbeat.consensus.StateCodec;
import io.backbeat.consensus.TimelineCommand;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Proposes {@link TimelineCommand}s: on the leader straight into its own division
 * ({@code submitClientRequestAsync}, as {@code localClientId}), so a take-over commit waits only on a
 * majority and never on a client's cached, possibly dead, leader; on a follower forwarded through the
 * {@link RaftClient}. The reply is the committed descriptor.
 */
final class RatisSubmitter {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class); // its log lines, as before

    private final RaftGroupId groupId;
    private final RaftPeerId selfId;
    private final ClientId localClientId;
    private final BooleanSupplier closed;
    private final AtomicLong callIds = new AtomicLong();

    RatisSubmitter(RaftGroupId groupId, RaftPeerId selfId, ClientId localClientId, BooleanSupplier closed) {
        this.groupId = groupId;
        this.selfId = selfId;
        this.localClientId = localClientId;
        this.closed = closed;
    }

    CompletableFuture<TimelineDescriptor> submit(TimelineCommand command, RaftClient client, RaftServer server) {
        Message message = Message.valueOf(ByteString.copyFrom(command.encode()));
        try {
            if (server.getDivision(groupId).getInfo().isLeader()) {
                RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(localClientId)
                        .setServerId(selfId).setGroupId(groupId).setCallId(callIds.incrementAndGet())
                        .setMessage(message).setType(RaftClientRequest.writeRequestType()).build();
                return submitLocally(server, request, System.nanoTime() + 2_000_000_000L);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("local submit not possible, forwarding: {}", e.toString());
        }
        return client.async().send(message).thenApply(RatisSubmitter::decodeReply);
    }

    /**
     * Into this node's own division. Right after an election the leader refuses writes until its first
     * entry commits (tens of ms): retried every 10 ms until {@code giveUpNanos}.
     */
    private CompletableFuture<TimelineDescriptor> submitLocally(RaftServer s, RaftClientRequest request,
                                                                long giveUpNanos) {
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = s.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reply.thenCompose(r -> {
            if (!r.isSuccess() && r.getException() instanceof LeaderNotReadyException && !closed.getAsBoolean()
                    && System.nanoTime() - giveUpNanos < 0) {
                return CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> submitLocally(s, RaftClientRequest.newBuilder().set(request)
                                .setCallId(callIds.incrementAndGet()).build(), giveUpNanos));
            }
            return CompletableFuture.completedFuture(decodeReply(r));
        });
    }

    private static TimelineDescriptor decodeReply(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new IllegalStateException("command not committed: " + reply.getException());
        }
        return StateCodec.decodeState(reply.getMessage().getContent().toByteArray());
    }
}
