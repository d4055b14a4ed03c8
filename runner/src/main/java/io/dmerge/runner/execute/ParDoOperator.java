package io.dmerge.runner.execute;

import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.values.WindowedValue;

/** A stateless ParDo, fused: elements arrive as objects and leave through the output router. */
final class ParDoOperator implements Operator {
  private final DoFnInstance instance;
  private final MetricsScope metrics;
  private DoFnRunner<Object, Object> runner;

  ParDoOperator(DoFnInstance instance, MetricsScope metrics) {
    this.instance = instance;
    this.metrics = metrics;
  }

  @Override
  public void start() throws Exception {
    instance.setup();
    runner = instance.statelessRunner(TaskStepContext.stateless(instance.finalizer()));
    metrics.run(runner::startBundle);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void accept(WindowedValue<?> element) {
    MetricsContainer previous = metrics.enter();
    try {
      runner.processElement((WindowedValue<Object>) element);
    } finally {
      MetricsScope.exit(previous);
    }
  }

  @Override
  public void finish() throws Exception {
    metrics.run(runner::finishBundle);
  }

  @Override
  public void close() {
    instance.close();
  }
}
