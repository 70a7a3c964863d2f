package io.backbeat.bench;

import io.backbeat.pulse.fault.HostFaults;
import io.backbeat.pulse.fault.PulseProcessCluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every node's data dir on its own 16 MB tmpfs; the fault fills the leader's with {@code dd}. Settling
 * deletes the fill file and starts the node again if it exited. Needs root (mount); {@link #close()}
 * unmounts ({@code umount -l}) whatever was mounted, after the rig has killed the processes.
 */
final class DiskFull extends ChaosScenario {
    private final List<Path> mounts = new ArrayList<>();
    private ChaosRig rig;

    DiskFull() {
        super("diskfull");
    }

    @Override
    Optional<String> problem() {
        return HostFaults.run(List.of("id", "-u")).output().equals("0") ? Optional.empty()
                : Optional.of("needs root to mount tmpfs");
    }

    @Override
    void configure(PulseProcessCluster.Builder b, ChaosRig rig) throws Exception {
        this.rig = rig;
        for (String id : ChaosRig.IDS) {
            Path disk = disk(id);
            Files.createDirectories(disk);
            HostFaults.runOrThrow(List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()));
            mounts.add(disk);
            b.dataDir(id, disk.resolve("data"));
        }
    }

    private Path disk(String id) {
        return rig.dir().resolve("disk-" + id);
    }

    @Override
    Fault inject(ChaosRig rig, String leader) {
        Fault f = now(rig, "");
        HostFaults.Result dd = HostFaults.run(List.of("dd", "if=/dev/zero", "of=" + disk(leader).resolve("fill"),
                "bs=1M", "count=64"));
        String last = dd.output().lines().reduce((a, b) -> b).orElse("");
        return new Fault(f.atNanos(), f.watcher(), "dd: " + last);
    }

    @Override
    String settle(ChaosRig rig, String leader) throws Exception {
        PulseProcessCluster c = rig.cluster();
        String during = c.isAlive(leader) ? "/ready while full " + rig.adminLine(leader, "/ready")
                : "exited with status " + c.node(leader).process().exitValue() + " while full";
        Files.deleteIfExists(disk(leader).resolve("fill"));
        if (c.isAlive(leader)) {
            return during + "; fill deleted, left running";
        }
        c.start(leader);
        return during + "; fill deleted, restarted";
    }

    @Override
    public void close() {
        for (Path m : mounts) {
            HostFaults.run(List.of("umount", "-l", m.toString()));
        }
        mounts.clear();
    }
}
