package io.backbeat.consensus;

/**
 * The term and index of a member's last log entry, ordered as Raft orders logs when it decides a vote:
 * by term, then by index. A member whose log is behind another's cannot win that member's vote.
 *
 * @param term  the term of the last entry, at least 0
 * @param index the index of the last entry, at least 0
 */
public record LogPosition(long term, long index) implements Comparable<LogPosition> {
    public LogPosition {
        if (term < 0 || index < 0) {
            throw new IllegalArgumentException("term and index must be >= 0: term " + term + ", index " + index);
        }
    }

    @Override
    public int compareTo(LogPosition o) {
        int byTerm = Long.compare(term, o.term);
        return byTerm != 0 ? byTerm : Long.compare(index, o.index);
    }

    /** Whether this log is behind {@code other} (Raft would refuse this member the other's vote). */
    public boolean isBehind(LogPosition other) {
        return compareTo(other) < 0;
    }

    @Override
    public String toString() {
        return "term " + term + ", index " + index;
    }
}
