package io.backbeat.consensus.ratis;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-over's order of targets: members to avoid (clocks off) last, the others in their order. */
class RatisHandOverTest {
    @Test
    void avoidedMembersAreTriedLastAndTheRestKeepTheirOrder() {
        assertThat(RatisHandOver.avoidedLast(List.of("b", "c", "d"), Set.of("b"))).containsExactly("c", "d", "b");
        assertThat(RatisHandOver.avoidedLast(List.of("b", "c", "d"), Set.of("c", "b"))).containsExactly("d", "b", "c");
        assertThat(RatisHandOver.avoidedLast(List.of("b", "c"), Set.of())).containsExactly("b", "c");
        assertThat(RatisHandOver.avoidedLast(List.of("b", "c"), Set.of("x"))).containsExactly("b", "c");
    }
}
