package io.backbeat.pulse.config;

import io.backbeat.consensus.ConsensusSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PulseConfigTest {

    private static final Map<String, String> NO_ENV = Map.of();

    private static PulseConfig parse(Map<String, String> env, String... args) {
        return PulseConfig.parse(args, env);
    }

    @Test
    void theThreeFlagSyntaxesMeanTheSame() {
        PulseConfig a = parse(NO_ENV, "--cluster", "c1", "--node-id", "n1", "--bpm", "15.5", "--bar", "4",
                "--raft-bind", "127.0.0.1:9001", "--bootstrap", "--admin-port", "0");
        PulseConfig b = parse(NO_ENV, "--cluster=c1", "--node-id=n1", "--bpm=15.5", "--bar=4",
                "--raft-bind=127.0.0.1:9001", "--bootstrap=true", "--admin-port=0");
        PulseConfig c = parse(NO_ENV, "-cluster", "c1", "-node-id", "n1", "-bpm", "15.5", "-bar", "4",
                "-raft-bind", "127.0.0.1:9001", "-bootstrap", "true", "-admin-port", "0");
        assertThat(b).isEqualTo(a);
        assertThat(c).isEqualTo(a);
        assertThat(a.clusterId()).isEqualTo("c1");
        assertThat(a.nodeId()).isEqualTo("n1");
        assertThat(a.bpm()).isEqualTo(15.5);
        assertThat(a.bar()).isEqualTo(4);
        assertThat(a.raftHost()).isEqualTo("127.0.0.1");
        assertThat(a.raftPort()).isEqualTo(9001);
        assertThat(a.bootstrap()).isTrue();
        assertThat(a.peers()).isEmpty();
    }

    @Test
    void defaultsAreTheSeeds() {
        PulseConfig d = parse(NO_ENV, "--bootstrap", "--node-id", "n1");
        assertThat(d.clusterId()).isEqualTo("chorus-aus-01");
        assertThat(d.bpm()).isEqualTo(12.0);
        assertThat(d.bar()).isEqualTo(8);
        assertThat(d.phases()).containsExactly("plan", "execute", "review");
        assertThat(d.minBpm()).isEqualTo(4.0);
        assertThat(d.maxBpm()).isEqualTo(24.0);
        assertThat(d.natsServers()).containsExactly("nats://localhost:4222");
        assertThat(d.adminPort()).isEqualTo(8080);
        assertThat(d.adminBind()).isEqualTo("0.0.0.0");
        assertThat(d.consensus()).isEqualTo(ConsensusBackend.RATIS);
        assertThat(d.grace()).isEqualTo(Duration.ofMillis(250));
        assertThat(d.raftPort()).as("a single node gets a concrete consensus port").isPositive();
        assertThat(d.adminToken()).isEmpty();
    }

    @Test
    void aMissingNodeIdIsGenerated() {
        assertThat(parse(NO_ENV, "--bootstrap").nodeId()).matches("pulse-[0-9a-f]{8}");
    }

    @Test
    void toStringNeverShowsTheAdminTokenOrNatsSecrets() {
        PulseConfig c = parse(Map.of("BACKBEAT_ADMIN_TOKEN", "admin-s3cret"), "--bootstrap", "--node-id", "n1",
                "--nats-user", "svc", "--nats-password", "nats-s3cret", "--nats-token", "tok-s3cret");
        assertThat(c.adminToken()).isEqualTo("admin-s3cret");
        assertThat(c.natsAuth().password()).isEqualTo("nats-s3cret");
        assertThat(c.toString()).doesNotContain("admin-s3cret", "nats-s3cret", "tok-s3cret")
                .contains("adminToken=***", "password=***", "token=***", "user=svc", "nodeId=n1");
        assertThat(parse(Map.of(), "--bootstrap", "--node-id", "n1").toString()).contains("adminToken=,");
    }

    @Test
    void environmentFillsInAndFlagsWin() {
        Map<String, String> env = Map.of("BACKBEAT_CLUSTER_ID", "from-env", "BACKBEAT_DATA_DIR", "/tmp/bb-env",
                "BACKBEAT_ADMIN_TOKEN", "s3cret");
        PulseConfig fromEnv = parse(env, "--bootstrap", "--node-id", "n1");
        assertThat(fromEnv.clusterId()).isEqualTo("from-env");
        assertThat(fromEnv.dataDir()).isEqualTo(Path.of("/tmp/bb-env"));
        assertThat(fromEnv.adminToken()).isEqualTo("s3cret");

        PulseConfig flags = parse(env, "--bootstrap", "--node-id", "n1", "--cluster", "from-flag",
                "--data-dir", "/tmp/bb-flag");
        assertThat(flags.clusterId()).isEqualTo("from-flag");
        assertThat(flags.dataDir()).isEqualTo(Path.of("/tmp/bb-flag"));
    }

    @Test
    void peersTakeIdAtHostPortAndSelfsPortBecomesTheConsensusPort() {
        PulseConfig c = parse(NO_ENV, "--node-id", "b", "--peers", "a@127.0.0.1:7001,b@127.0.0.1:7002,c@localhost:7003",
                "--data-dir", "/var/lib/backbeat");
        assertThat(c.peers()).containsExactly(new ConsensusSettings.Peer("a", "127.0.0.1", 7001),
                new ConsensusSettings.Peer("b", "127.0.0.1", 7002), new ConsensusSettings.Peer("c", "localhost", 7003));
        assertThat(c.raftHost()).isEqualTo("127.0.0.1");
        assertThat(c.raftPort()).isEqualTo(7002);
        assertThat(c.bootstrap()).as("peers need no --bootstrap").isFalse();
        assertThat(c.consensusSettings().members()).hasSize(3);
    }

    @Test
    void aMemberOfAMultiNodeClusterNeedsADataDirAndASingleNodeDoesNot() {
        assertThatThrownBy(() -> parse(NO_ENV, "--node-id", "b", "--peers", "a@127.0.0.1:7001,b@127.0.0.1:7002"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--data-dir: ")
                .hasMessageContaining("multi-node");
        PulseConfig fromEnv = parse(Map.of("BACKBEAT_DATA_DIR", "/var/lib/bb"), "--node-id", "b", "--peers",
                "a@127.0.0.1:7001,b@127.0.0.1:7002");
        assertThat(fromEnv.dataDir()).isEqualTo(Path.of("/var/lib/bb"));
        PulseConfig single = parse(NO_ENV, "--bootstrap", "--node-id", "n1");
        assertThat(single.dataDir().toString()).as("a development node keeps the temp-dir default")
                .startsWith(System.getProperty("java.io.tmpdir"));
        assertThat(single.snapshotEvery()).isEqualTo(100);
        assertThat(parse(NO_ENV, "--bootstrap", "--snapshot-every", "7").consensusSettings().snapshotEvery()).isEqualTo(7);
    }

    @Test
    void natsCredentialsAndTlsPassThrough() {
        PulseConfig c = parse(NO_ENV, "--bootstrap", "--nats", "tls://a:4222, nats://b:4222", "--nats-creds", "/x.creds",
                "--nats-user", "u", "--nats-password", "p", "--nats-tls", "--nats-truststore", "/t.jks",
                "--nats-truststore-password", "tp");
        assertThat(c.natsServers()).containsExactly("tls://a:4222", "nats://b:4222");
        assertThat(c.natsAuth()).isEqualTo(new PulseConfig.NatsAuth("/x.creds", "", "u", "p", true, "/t.jks", "tp", "", ""));
    }

    @Test
    void helpListsEveryFlagAndTheEnvironment() {
        String help = PulseConfig.help();
        for (String flag : List.of("cluster", "node-id", "bpm", "bar", "phases", "min-bpm", "max-bpm", "nats",
                "admin-port", "admin-bind", "raft-bind", "bootstrap", "peers", "data-dir", "consensus")) {
            assertThat(help).contains("--" + flag + " ");
        }
        PulseConfig.flagNames().forEach(flag -> assertThat(help).contains("--" + flag));
        assertThat(help).contains("BACKBEAT_LOG_LEVEL", "BACKBEAT_DATA_DIR", "BACKBEAT_CLUSTER_ID", "BACKBEAT_ADMIN_TOKEN");
        assertThat(PulseConfig.wantsHelp(new String[]{"--bpm", "12", "--help"})).isTrue();
        assertThat(PulseConfig.wantsHelp(new String[]{"-h"})).isTrue();
        assertThat(PulseConfig.wantsHelp(new String[]{"--bpm", "12"})).isFalse();
    }

    @ParameterizedTest(name = "{0} {1} -> --{2}")
    @CsvSource(delimiter = '|', value = {
            "--bpm          | abc                 | bpm",
            "--bpm          | NaN                 | bpm",
            "--bpm          | -1                  | bpm",
            "--bpm          | 0                   | bpm",
            "--bpm          | 30                  | bpm",
            "--bpm          | 3                   | bpm",
            "--bar          | 0                   | bar",
            "--bar          | 2.5                 | bar",
            "--min-bpm      | 30                  | min-bpm",
            "--max-bpm      | Infinity            | max-bpm",
            "--phases       | plan,,review        | phases",
            "--nats         | http://localhost:80 | nats",
            "--admin-port   | 70000               | admin-port",
            "--admin-port   | eighty              | admin-port",
            "--admin-bind   | 'bad host'          | admin-bind",
            "--raft-bind    | 127.0.0.1           | raft-bind",
            "--raft-bind    | 127.0.0.1:x         | raft-bind",
            "--raft-bind    | 127.0.0.1:99999     | raft-bind",
            "--consensus    | zookeeper           | consensus",
            "--grace        | soon                | grace",
            "--grace        | 0ms                 | grace",
            "--grace        | -5ms                | grace",
            "--max-clock-offset | 0ms             | max-clock-offset",
            "--max-clock-offset | soon            | max-clock-offset",
            "--raft-tls-cert | /no/such/cert.pem  | raft-tls-cert",
            "--raft-tls-trust | /no/such/ca.pem   | raft-tls-cert",
            "--cluster      | bad.cluster!        | cluster",
            "--node-id      | 'no spaces'         | node-id",
            "--peers        | a@127.0.0.1         | peers",
            "--peers        | n1@h:1,n1@h:2       | peers",
            "--peers        | x@h:1,y@h:2         | peers",
            "--bootstrap=maybe |                  | bootstrap",
            "--no-such-flag | 1                   | no-such-flag",
            "--snapshot-every | 0                 | snapshot-every",
            "--snapshot-every | often             | snapshot-every",
            "--restore-from | /no/such/backup.json | restore-from",
    })
    void badValuesStopStartUpNamingTheFlag(String flag, String value, String named) {
        String[] args = value == null
                ? new String[]{"--node-id", "n1", "--bootstrap", flag}
                : new String[]{"--node-id", "n1", "--bootstrap", flag, value};
        if (flag.equals("--bootstrap=maybe")) {
            args = new String[]{"--node-id", "n1", flag};
        }
        String[] finalArgs = args;
        assertThatThrownBy(() -> PulseConfig.parse(finalArgs, NO_ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--" + named + ": ")
                .satisfies(e -> assertThat(((ConfigException) e).flag()).isEqualTo(named));
    }

    @Test
    void aFlagWithoutItsValueIsNamed() {
        assertThatThrownBy(() -> parse(NO_ENV, "--bootstrap", "--bpm"))
                .isInstanceOf(ConfigException.class).hasMessage("--bpm: needs a value");
    }

    @Test
    void aStrayArgumentIsNamed() {
        assertThatThrownBy(() -> parse(NO_ENV, "--bootstrap", "true", "extra"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("extra").hasMessageContaining("unexpected");
    }

    @Test
    void withoutPeersANodeMustBootstrap() {
        assertThatThrownBy(() -> parse(NO_ENV, "--node-id", "n1"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--bootstrap: ");
    }

    @Test
    void aBadEnvironmentValueNamesTheFlagItStandsFor() {
        assertThatThrownBy(() -> parse(Map.of("BACKBEAT_CLUSTER_ID", "no spaces please"), "--bootstrap"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--cluster: ");
    }
}
