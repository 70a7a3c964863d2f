package io.backbeat.rhythm;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The tempo guide's worked examples. */
class TempoAdvisorTest {
    @Test
    void guideExamples() {
        // Rule 1: 5 s tasks -> 60 / (5 x 3) = 4 BPM
        TempoAdvice r1 = TempoAdvisor.builder().task(Duration.ofSeconds(5)).build().advise();
        assertThat(r1.recommendedBpm()).isCloseTo(4.0, within(1e-9));
        assertThat(r1.bindingRule()).isEqualTo("task_duration");
        // Rule 2: sync every 2 minutes -> 0.5 BPM
        TempoAdvice r2 = TempoAdvisor.builder().coordinationInterval(Duration.ofMinutes(2)).build().advise();
        assertThat(r2.recommendedBpm()).isCloseTo(0.5, within(1e-9));
        // Rule 3: 10 s tasks + 5 s recovery -> 4 BPM, below rule 1's 2 BPM? 60/(10*3) = 2 binds
        TempoAdvice r3 = TempoAdvisor.builder().task(Duration.ofSeconds(10)).recovery(Duration.ofSeconds(5))
                .build().advise();
        assertThat(r3.limits()).containsEntry("sustainable", 4.0).containsEntry("task_duration", 2.0);
        assertThat(r3.bindingRule()).isEqualTo("task_duration");
        // 5 s task, 5 s recovery: rule 1 gives 4, rule 3 gives 6 -> 4 binds
        TempoAdvice r4 = TempoAdvisor.builder().task(Duration.ofSeconds(5)).recovery(Duration.ofSeconds(5))
                .build().advise();
        assertThat(r4.recommendedBpm()).isCloseTo(4.0, within(1e-9));
        assertThat(r4.explanation()).contains("task duration rule binds");
        // 1 s task, 30 s recovery: sustainable binds
        TempoAdvice r5 = TempoAdvisor.builder().task(Duration.ofSeconds(1)).recovery(Duration.ofSeconds(30))
                .build().advise();
        assertThat(r5.bindingRule()).isEqualTo("sustainable");
        assertThat(r5.recommendedBpm()).isCloseTo(60.0 / 31, within(1e-9));
    }

    @Test
    void capacityPlannerTakesTheMostRestrictiveConstraint() {
        TempoAdvice a = TempoAdvisor.builder().cpuSecondsPerBeat(2, 4).memory(8_000, 1_000).io(100, 600).build().advise();
        // cpu: 60 / (2/4*3) = 40; memory: 8; io: 100*60/600 = 10
        assertThat(a.limits()).containsEntry("cpu", 40.0).containsEntry("memory", 8.0).containsEntry("io", 10.0);
        assertThat(a.bindingRule()).isEqualTo("memory");
        assertThat(a.recommendedBpm()).isEqualTo(8.0);
    }
}
