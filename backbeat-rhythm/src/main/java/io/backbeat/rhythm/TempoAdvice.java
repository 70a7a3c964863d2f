package io.backbeat.rhythm;

import java.util.Map;

/**
 * A recommended tempo and why.
 *
 * @param recommendedBpm the highest tempo every applicable rule allows
 * @param bindingRule    the rule that set it
 * @param limits         every rule's own limit in BPM (rules that did not apply are absent)
 * @param explanation    a sentence a person can act on
 */
public record TempoAdvice(double recommendedBpm, String bindingRule, Map<String, Double> limits, String explanation) {
    public TempoAdvice {
        limits = Map.copyOf(limits);
    }
}
