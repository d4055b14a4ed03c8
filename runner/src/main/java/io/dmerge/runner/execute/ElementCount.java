package io.dmerge.runner.execute;

import java.util.Map;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.runners.core.metrics.MonitoringInfoMetricName;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Beam's element-count system metric ({@code beam:metric:element_count:v1}, labelled with the
 * PCollection) for what one step of a task emits into one PCollection. Counted in a plain field,
 * so the per-element cost is an increment, and reported once, when the task has run; only
 * successful attempts reach the job's metrics, so a retried task is not counted twice.
 */
final class ElementCount implements Receiver {
  private final String producer;
  private final String pcollection;
  private final Receiver next;
  private long count;

  ElementCount(String producer, String pcollection, Receiver next) {
    this.producer = producer;
    this.pcollection = pcollection;
    this.next = next;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    count++;
    next.accept(element);
  }

  /** Counts an element that the caller hands to {@link #next()} itself, sparing a call. */
  void countOne() {
    count++;
  }

  Receiver next() {
    return next;
  }

  /** Adds the count to the producing step's metrics. */
  void reportTo(MetricsContainerStepMap metrics) {
    metrics
        .getContainer(producer)
        .getCounter(
            MonitoringInfoMetricName.named(
                MonitoringInfoConstants.Urns.ELEMENT_COUNT, Map.of(MonitoringInfoConstants.Labels.PCOLLECTION, pcollection)))
        .inc(count);
  }
}
