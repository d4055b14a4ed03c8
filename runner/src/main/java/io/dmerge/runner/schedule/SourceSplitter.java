package io.dmerge.runner.schedule;

import io.dmerge.runner.DmergePipelineOptions;
import io.dmerge.runner.metrics.JobMetrics;
import java.io.Closeable;
import java.util.List;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.io.BoundedSource;

/**
 * Splits a bounded source into tasks up front: about one per slot, since running reads are split
 * onto idle slots later ({@link TaskExecutor#splitRest}). Every task of a read costs something
 * downstream too (word count: each task ships one partial count per distinct word).
 */
final class SourceSplitter {
  private static final long FALLBACK_BUNDLE_BYTES = 64L << 20;

  private SourceSplitter() {}

  /** Splits in the driver; metrics the source reports while splitting count for its Read step. */
  static List<? extends BoundedSource<?>> split(
      BoundedSource<?> source, String stepName, DmergePipelineOptions options, JobMetrics metrics) throws Exception {
    MetricsContainerStepMap splitMetrics = new MetricsContainerStepMap();
    try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(splitMetrics.getContainer(stepName))) {
      return split(source, options);
    } finally {
      metrics.add(splitMetrics);
    }
  }

  private static List<? extends BoundedSource<?>> split(BoundedSource<?> source, DmergePipelineOptions options) throws Exception {
    long desired;
    try {
      long size = source.getEstimatedSizeBytes(options);
      desired = size > 0 ? Math.max(1, size / options.getParallelism()) : FALLBACK_BUNDLE_BYTES;
    } catch (Exception e) {
      desired = FALLBACK_BUNDLE_BYTES;
    }
    List<? extends BoundedSource<?>> splits = source.split(desired, options);
    return splits.isEmpty() ? List.of(source) : splits;
  }
}
