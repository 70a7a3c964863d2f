/**
 * Micrometer binding for {@link io.backbeat.client.BeatClient}. Micrometer is an optional
 * dependency of backbeat-client: add {@code micrometer-core} to use this package.
 */
package io.backbeat.client.metrics;
