package io.dmerge.runner.execute;

import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.WindowedValues;

/** Reads one split of a bounded source into the global window; the scheduler may split its rest off ({@link LiveRead}). */
final class ReadRoot implements Root {
  private final BoundedSource<?> source;
  private final PipelineOptions options;
  private final MetricsScope metrics;
  private final Receiver output;
  private final LiveRead live;

  ReadRoot(BoundedSource<?> source, PipelineOptions options, MetricsScope metrics, Receiver output, LiveRead live) {
    this.source = source;
    this.options = options;
    this.metrics = metrics;
    this.output = output;
    this.live = live;
  }

  @Override
  public void run() throws Exception {
    // Sources may report metrics; they belong to the Read step.
    metrics.run(
        () -> {
          try (BoundedSource.BoundedReader<?> reader = source.createReader(options)) {
            live.start(reader);
            try {
              for (boolean more = reader.start(); more; more = reader.advance()) {
                output.accept(WindowedValues.timestampedValueInGlobalWindow(reader.getCurrent(), reader.getCurrentTimestamp()));
              }
            } finally {
              live.end();
            }
          }
        });
  }
}
