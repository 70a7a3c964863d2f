package io.backbeat.consensus.ratis;

import io.backbeat.consensus.*;

import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Snapshot files of the timeline state machine: the whole replicated state (descriptor and tempo
 * policy, {@link StateCodec#encodeFullState}, a few hundred bytes) in Ratis' single-file layout
 * ({@code sm/snapshot.<term>_<index>} with an MD5 file beside it), written atomically, so Ratis can
 * purge the log up to it and send it to a member whose log is gone. Also the format of a backup.
 */
final class TimelineSnapshots {
    private TimelineSnapshots() {
    }

    /** Writes {@code state} as the snapshot at {@code last}; returns what the storage now records. */
    static SingleFileSnapshotInfo write(SimpleStateMachineStorage storage, TermIndex last,
                                        TimelineStateMachine.State state) throws IOException {
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
        Files.createDirectories(file.toPath().getParent());
        Files.write(tmp, StateCodec.encodeFullState(state));
        Files.move(tmp, file.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        SingleFileSnapshotInfo info = new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last);
        storage.updateLatestSnapshot(info);
        return info;
    }

    /** The state in snapshot {@code info}, its MD5 checked when the file has one. */
    static TimelineStateMachine.State read(SingleFileSnapshotInfo info) throws IOException {
        Path path = info.getFile().getPath();
        MD5Hash expected = info.getFile().getFileDigest();
        if (expected != null) {
            MD5Hash actual = MD5FileUtil.computeMd5ForFile(path.toFile());
            if (!expected.equals(actual)) {
                throw new IOException("snapshot " + path + " is corrupt: MD5 " + actual + ", expected " + expected);
            }
        }
        return StateCodec.decodeFullState(Files.readAllBytes(path));
    }
}
