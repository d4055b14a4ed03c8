package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.RegionRef;
import java.io.Serializable;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * What a successful task attempt hands back: its registered regions by boundary name, the metrics
 * its user code reported, the earliest watermark hold its keyed state keeps (the end of time when
 * it holds nothing back), and the side-input regions it found wholly replaced by later firings,
 * which no reader needs again.
 */
public record TaskResult(
    Map<String, RegionRef> regions, MetricsContainerStepMap metrics, Instant watermarkHold, Set<RegionRef> replacedSideInputs)
    implements Serializable {

  public TaskResult(Map<String, RegionRef> regions, MetricsContainerStepMap metrics) {
    this(regions, metrics, BoundedWindow.TIMESTAMP_MAX_VALUE, Set.of());
  }
}
