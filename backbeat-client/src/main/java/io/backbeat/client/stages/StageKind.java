package io.backbeat.client.stages;

/** Seed "Reds and Blues": what a stage mostly waits on. */
public enum StageKind {
    /** IO-bound: network, disk, a database. */
    RED,
    /** CPU-bound: hashing, parsing, computing. */
    BLUE
}
