package io.backbeat.pulse.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The host's fault tools: cgroup v2 directories, iptables rules and process signals, each through the
 * ordinary command-line tools ({@code iptables}, {@code kill}, {@code sh}). Needs root for iptables and cgroups.
 */
public final class HostFaults {
    /** {@code dpkg -L libfaketime} on Debian/Ubuntu amd64. */
    public static final String LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private static volatile Optional<String> partitionProblem;

    private HostFaults() {
    }

    /** The output and status of a command. */
    public record Result(int status, String output) {
        public boolean ok() {
            return status == 0;
        }
    }

    /** Runs a command (no shell), waiting up to 15 s; output is stdout and stderr together. */
    public static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, cmd + " did not finish within 15 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(-1, cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Runs a command and throws when it fails. */
    public static String runOrThrow(List<String> cmd) {
        Result r = run(cmd);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.status() + "): " + r.output());
        }
        return r.output();
    }

    /** Sends a signal ({@code STOP}, {@code CONT}, {@code TERM}, {@code KILL}) to a pid with {@code kill}. */
    public static void signal(long pid, String signal) {
        runOrThrow(List.of("sh", "-c", "kill -" + signal + " " + pid));
    }

    /** The cgroup v2 mount point, from /proc/mounts (here /sys/fs/cgroup/unified), if one is mounted. */
    public static Optional<Path> cgroup2Root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) {
                    Path p = Path.of(f[1]);
                    if (Files.isWritable(p.resolve("cgroup.procs"))) {
                        return Optional.of(p);
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * Why {@link PulseProcessCluster#partition} cannot work on this host (empty when it can): checks
     * cgroup v2, the iptables binary and that a {@code -m cgroup --path} rule can be added and removed.
     */
    public static Optional<String> partitionProblem() {
        Optional<String> p = partitionProblem;
        if (p == null) {
            p = probe();
            partitionProblem = p;
        }
        return p;
    }

    private static Optional<String> probe() {
        Optional<Path> root = cgroup2Root();
        if (root.isEmpty()) {
            return Optional.of("no writable cgroup v2 mount "
                    + "(mount -t cgroup2 none /sys/fs/cgroup/unified; run as root)");
        }
        Result v = run(List.of("iptables", "-S", "OUTPUT"));
        if (!v.ok()) {
            return Optional.of("iptables is not usable (apt-get install iptables; run as root): " + v.output());
        }
        String name = "backbeat-probe-" + ProcessHandle.current().pid();
        Path dir = root.get().resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return Optional.of("cannot create a cgroup under " + root.get() + " (run as root): " + e);
        }
        try {
            List<String> rule = List.of("OUTPUT", "-o", "lo", "-m", "cgroup", "--path", "/" + name, "-p", "tcp",
                    "--dport", "1", "-m", "comment", "--comment", name, "-j", "DROP");
            Result add = run(concat(List.of("iptables", "-A"), rule));
            if (!add.ok()) {
                return Optional.of("iptables cannot match on cgroup v2 paths (needs the xt_cgroup module, "
                        + "iptables >= 1.6): " + add.output());
            }
            run(concat(List.of("iptables", "-D"), rule));
            return Optional.empty();
        } finally {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Deletes every iptables rule (filter table) carrying {@code --comment comment}; returns how many. */
    public static int deleteRulesWithComment(String comment) {
        Result s = run(List.of("iptables", "-S"));
        if (!s.ok()) {
            return 0;
        }
        int n = 0;
        for (String line : s.output().split("\n")) {
            // exact comment match: iptables -S prints "--comment backbeat-xyz" (quoted only with spaces)
            if (line.startsWith("-A ") && (line.contains("--comment " + comment + " ")
                    || line.endsWith("--comment " + comment) || line.contains("--comment \"" + comment + "\""))) {
                // the listing quotes values (--path "/x"); let a shell split it back into arguments
                if (run(List.of("sh", "-c", "iptables -D " + line.substring(3))).ok()) {
                    n++;
                }
            }
        }
        return n;
    }

    private static final Pattern RUN = Pattern.compile("backbeat-(\\d+)x[0-9a-f]+");
    private static volatile boolean swept;

    /** A run id naming this JVM: {@code <pid>x<random hex>}, so a later run can tell whether its owner lives. */
    public static String newRunId() {
        return ProcessHandle.current().pid() + "x" + Integer.toHexString(new Random().nextInt(0x10000));
    }

    /**
     * Once per JVM: removes what runs whose JVM died without cleaning up (SIGKILLed surefire fork, kill -9
     * of a harness) left behind: their pulse processes (SIGKILL), iptables rules and cgroup directories.
     * A leftover INPUT rule would silently drop a loopback port some later process may get. Returns the
     * number of rules and cgroups removed.
     */
    public static synchronized int sweepOrphans() {
        if (swept) {
            return 0;
        }
        swept = true;
        int n = 0;
        Optional<Path> root = cgroup2Root();
        if (root.isPresent()) {
            try (Stream<Path> dirs = Files.list(root.get())) {
                for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                    Matcher m = RUN.matcher(dir.getFileName().toString());
                    if (m.lookingAt() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                        for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                        }
                        if (removeCgroup(dir)) {
                            n++;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("backbeat fault: orphan cgroup sweep failed: " + e);
            }
        }
        Result s = run(List.of("iptables", "-S"));
        if (s.ok()) {
            Set<String> dead = new TreeSet<>();
            Matcher m = RUN.matcher(s.output());
            while (m.find()) {
                if (ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    dead.add(m.group());
                }
            }
            for (String comment : dead) {
                n += deleteRulesWithComment(comment);
            }
        }
        if (n > 0) {
            System.err.println("backbeat fault: removed " + n + " iptables rules/cgroups left by dead runs");
        }
        return n;
    }

    /** Removes an (empty) cgroup directory, retrying while the kernel still counts exited processes in it. */
    public static boolean removeCgroup(Path dir) {
        for (int i = 0; i < 50; i++) {
            try {
                Files.deleteIfExists(dir);
                return true;
            } catch (IOException e) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return !Files.exists(dir);
    }
}
