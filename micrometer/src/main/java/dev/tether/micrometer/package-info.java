/**
 * Micrometer meters for Tether: {@link dev.tether.micrometer.TetherServerMetrics} binds a
 * {@code TetherServer}'s gauges and counters to any {@code MeterRegistry}.
 */
package dev.tether.micrometer;
