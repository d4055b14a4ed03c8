package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.RegionRef;
import java.io.Serializable;
import java.util.Map;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;

/**
 * What a successful task attempt hands back: its registered regions by boundary name, and the
 * metrics its user code reported.
 */
public record TaskResult(Map<String, RegionRef> regions, MetricsContainerStepMap metrics) implements Serializable {}
