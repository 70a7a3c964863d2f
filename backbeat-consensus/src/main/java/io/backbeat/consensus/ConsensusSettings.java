package io.backbeat.consensus;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a consensus backend needs to join its group.
 *
 * @param clusterId the BACKBEAT cluster (also names the consensus group)
 * @param nodeId    this node's id
 * @param bindHost  host this node listens on for consensus traffic
 * @param bindPort  port this node listens on (0 = pick a free one)
 * @param peers     every voting member including this node; empty = single-node group of this node
 * @param dataDir   where the log and snapshots live
 * @param tls       mutual TLS between the members (Ratis), or {@code null} for plaintext
 */
public record ConsensusSettings(String clusterId, String nodeId, String bindHost, int bindPort, List<Peer> peers,
                                Path dataDir, Tls tls, long snapshotEvery) {
    /** Log entries between two snapshots by default (the state is a few hundred bytes). */
    public static final long DEFAULT_SNAPSHOT_EVERY = 100;

    /** Without TLS. */
    public ConsensusSettings(String clusterId, String nodeId, String bindHost, int bindPort, List<Peer> peers,
                             Path dataDir) {
        this(clusterId, nodeId, bindHost, bindPort, peers, dataDir, null);
    }

    /** A snapshot every {@link #DEFAULT_SNAPSHOT_EVERY} entries. */
    public ConsensusSettings(String clusterId, String nodeId, String bindHost, int bindPort, List<Peer> peers,
                             Path dataDir, Tls tls) {
        this(clusterId, nodeId, bindHost, bindPort, peers, dataDir, tls, DEFAULT_SNAPSHOT_EVERY);
    }

    /**
     * Mutual TLS between consensus members: this node's certificate chain and PKCS#8 private key (PEM)
     * and the CA certificates (PEM) it trusts. A peer or client without a certificate signed by a
     * trusted CA can neither join nor submit. {@code scripts/dev-certs.sh} makes a development set.
     */
    public record Tls(Path certChain, Path privateKey, Path trustedCas) {
        public Tls {
            Objects.requireNonNull(certChain, "certChain");
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(trustedCas, "trustedCas");
        }
    }

    /** One voting member: {@code id@host:port}. */
    public record Peer(String id, String host, int port) {
        public Peer {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("peer id must not be blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("peer port must be 1-65535, got " + port);
            }
        }

        /** {@code host:port}. */
        public String address() {
            return host + ":" + port;
        }

        @Override
        public String toString() {
            return id + "@" + address();
        }

        /**
         * Parses {@code id@host:port}.
         *
         * @throws IllegalArgumentException saying what is wrong
         */
        public static Peer parse(String s) {
            String t = s.trim();
            int at = t.indexOf('@');
            int colon = t.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == t.length() - 1) {
                throw new IllegalArgumentException("peer '" + s + "' must look like id@host:port");
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("peer '" + s + "' has a non-numeric port");
            }
            return new Peer(t.substring(0, at), t.substring(at + 1, colon), port);
        }

        /** Parses a comma-separated list of {@code id@host:port}. */
        public static List<Peer> parseList(String s) {
            List<Peer> out = new ArrayList<>();
            if (s == null || s.isBlank()) {
                return out;
            }
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    Peer p = parse(part);
                    if (out.stream().anyMatch(q -> q.id().equals(p.id()))) {
                        throw new IllegalArgumentException("peer id '" + p.id() + "' appears twice");
                    }
                    out.add(p);
                }
            }
            return out;
        }
    }

    public ConsensusSettings {
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("snapshotEvery must be >= 1, got " + snapshotEvery);
        }
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(dataDir, "dataDir");
        peers = List.copyOf(peers);
        if (!peers.isEmpty() && peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
            throw new IllegalArgumentException("--peers must include this node '" + nodeId + "', got " + peers);
        }
    }

    /** The voting members: {@link #peers()}, or this node alone. */
    public List<Peer> members() {
        return peers.isEmpty() ? List.of(new Peer(nodeId, bindHost, bindPort)) : peers;
    }

    /** This node's entry in {@link #members()}. */
    public Peer self() {
        return members().stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
    }
}
