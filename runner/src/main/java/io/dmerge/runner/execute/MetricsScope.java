package io.dmerge.runner.execute;

import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;

/** Runs user code with its step's metrics container current, restoring the caller's after. */
final class MetricsScope {
  private final MetricsContainer container;

  MetricsScope(MetricsContainer container) {
    this.container = container;
  }

  interface Body {
    void run() throws Exception;
  }

  void run(Body body) throws Exception {
    MetricsContainer previous = MetricsEnvironment.setCurrentContainer(container);
    try {
      body.run();
    } finally {
      MetricsEnvironment.setCurrentContainer(previous);
    }
  }
}
