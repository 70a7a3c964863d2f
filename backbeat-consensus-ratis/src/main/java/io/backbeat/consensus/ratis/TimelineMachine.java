package io.backbeat.consensus.ratis;

import io.backbeat.consensus.StateCodec;
import io.backbeat.consensus.TimelineCommand;
import io.backbeat.consensus.TimelineStateMachine;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The replicated state machine of {@link RatisConsensus}: one descriptor and the cluster's tempo
 * policy, every command validated as it is applied ({@link TimelineStateMachine#check}), on every
 * replica. On the leader, {@code startTransaction} also refuses what no legitimate proposer sends
 * before it is written: an unreadable command, or a leadership record that does not come from this
 * very process, name this node and carry the current term (a client of the Raft port could otherwise
 * record a bogus leader and halt the beat).
 */
final class TimelineMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(RatisConsensus.class); // its log lines, as before

    private final String nodeId;
    private final ClientId localClientId;
    private final LongSupplier currentTerm;
    private final Runnable leaderChanged;
    private volatile TimelineStateMachine.State state = TimelineStateMachine.State.EMPTY;
    private final org.apache.ratis.statemachine.impl.SimpleStateMachineStorage snapshots =
            new org.apache.ratis.statemachine.impl.SimpleStateMachineStorage();
    private final AtomicLong rejected = new AtomicLong();
    private volatile long lastRejectLogNanos = System.nanoTime() - 10_000_000_000L;

    /**
     * @param localClientId the client id of this process's own proposals (the only source of leadership records)
     * @param currentTerm   the current Raft term as this node sees it
     * @param leaderChanged run when Ratis reports a leader change (wakes the leadership monitor)
     */
    TimelineMachine(String nodeId, ClientId localClientId, LongSupplier currentTerm, Runnable leaderChanged) {
        this.nodeId = nodeId;
        this.localClientId = localClientId;
        this.currentTerm = currentTerm;
        this.leaderChanged = leaderChanged;
    }

    /** The state as last applied. */
    TimelineStateMachine.State state() {
        return state;
    }

    /** Commands rejected so far (proposals refused and log entries that did not apply). */
    long rejected() {
        return rejected.get();
    }

    @Override
    public void initialize(RaftServer raftServer, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(raftServer, groupId, raftStorage);
        snapshots.init(raftStorage);
        getLifeCycle().startAndTransition(() -> load(snapshots.loadLatestSnapshot()), IOException.class);
    }

    /** Before a snapshot from the leader replaces this state (Ratis reloads only a paused machine). */
    @Override
    public void pause() {
        if (getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.RUNNING) {
            getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
            getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
        }
    }

    /** After a snapshot was installed from the leader (this member's log was behind or gone). */
    @Override
    public void reinitialize() throws IOException {
        load(snapshots.loadLatestSnapshot());
        if (getLifeCycleState() == org.apache.ratis.util.LifeCycle.State.PAUSED) {
            getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.STARTING);
            getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.RUNNING);
        }
    }

    @Override
    public org.apache.ratis.statemachine.StateMachineStorage getStateMachineStorage() {
        return snapshots;
    }

    /** Runs on the state machine's updater thread (as applyTransaction does): the state is consistent. */
    @Override
    public long takeSnapshot() throws IOException {
        org.apache.ratis.server.protocol.TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return org.apache.ratis.server.raftlog.RaftLog.INVALID_LOG_INDEX;
        }
        TimelineSnapshots.write(snapshots, last, state);
        LOG.debug("{}: snapshot at term {} index {}", nodeId, last.getTerm(), last.getIndex());
        return last.getIndex();
    }

    private void load(org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo info) throws IOException {
        if (info == null) {
            return;
        }
        state = TimelineSnapshots.read(info);
        updateLastAppliedTermIndex(info.getTerm(), info.getIndex());
        LOG.info("{}: timeline state loaded from snapshot at term {} index {}", nodeId, info.getTerm(),
                info.getIndex());
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        String refusal;
        try {
            TimelineCommand c = TimelineCommand.decode(request.getMessage().getContent().toByteArray());
            refusal = proposalRefusal(c, request);
        } catch (RuntimeException e) {
            refusal = e.getMessage();
        }
        if (refusal != null) {
            noteRejected("proposal from client " + request.getClientId(), refusal);
            trx.setException(new org.apache.ratis.protocol.exceptions.StateMachineException(refusal));
        }
        return trx;
    }

    private String proposalRefusal(TimelineCommand c, RaftClientRequest request) {
        if (c instanceof TimelineCommand.AssumeLeadership a) {
            long term = currentTerm.getAsLong();
            if (!request.getClientId().equals(localClientId) || !a.leaderId().equals(nodeId) || a.term() != term) {
                return "AssumeLeadership refused: only the leader itself records its leadership, for the "
                        + "current term " + term;
            }
            return null;
        }
        TimelineStateMachine.Outcome o = TimelineStateMachine.check(state, c, -1);
        return o.rejected() && !(c instanceof TimelineCommand.Initialize) ? o.rejection() : null;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
        TimelineStateMachine.State next = state;
        try {
            TimelineStateMachine.Outcome o = TimelineStateMachine.check(state, TimelineCommand.decode(data),
                    entry.getTerm());
            next = o.state();
            if (o.rejected()) {
                noteRejected("log index " + entry.getIndex(), o.rejection());
            }
        } catch (RuntimeException e) {
            noteRejected("log index " + entry.getIndex(), e.getMessage());
        }
        state = next;
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(
                StateCodec.encodeState(next.descriptor()))));
    }

    /** Counted always; logged at most once every 10 s (hostile input must not flood the log). */
    private void noteRejected(String where, String why) {
        long n = rejected.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastRejectLogNanos > 10_000_000_000L) {
            lastRejectLogNanos = now;
            LOG.warn("{}: command rejected at {} ({} rejected so far): {}", nodeId, where, n, why);
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leaderChanged.run();
    }
}
