package io.dmerge.runner.metrics;

import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricResults;

/**
 * The job's metrics: the sum of every successful task attempt's. Failed attempts are dropped, so
 * what is reported is also what was committed.
 */
public final class JobMetrics {
  private final MetricsContainerStepMap metrics = new MetricsContainerStepMap();

  public synchronized void add(MetricsContainerStepMap task) {
    metrics.updateAll(task);
  }

  public synchronized MetricResults results() {
    return MetricsContainerStepMap.asMetricResults(metrics, metrics);
  }
}
