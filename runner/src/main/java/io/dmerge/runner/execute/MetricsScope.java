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
    MetricsContainer previous = enter();
    try {
      body.run();
    } finally {
      exit(previous);
    }
  }

  /** For per-element paths: makes the step's container current and returns the caller's. */
  MetricsContainer enter() {
    return MetricsEnvironment.setCurrentContainer(container);
  }

  static void exit(MetricsContainer previous) {
    MetricsEnvironment.setCurrentContainer(previous);
  }
}
