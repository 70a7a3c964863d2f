package io.backbeat.work.stages;

/** "Reds and blues": what a stage mostly waits on (a label in {@link PipelineSnapshot}). */
public enum StageKind {
    /** IO-bound: network, disk, a database. */
    RED,
    /** CPU-bound: hashing, parsing, computing. */
    BLUE
}
