package io.dmerge.runner.schedule;

import io.dmerge.runner.DmergePipelineOptions;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;

/** Splits a bounded source into about two tasks per slot, so uneven splits still balance. */
final class SourceSplitter {
  private static final long FALLBACK_BUNDLE_BYTES = 64L << 20;

  private SourceSplitter() {}

  static List<? extends BoundedSource<?>> split(BoundedSource<?> source, DmergePipelineOptions options) throws Exception {
    long desired;
    try {
      long size = source.getEstimatedSizeBytes(options);
      desired = size > 0 ? Math.max(1, size / (2L * options.getParallelism())) : FALLBACK_BUNDLE_BYTES;
    } catch (Exception e) {
      desired = FALLBACK_BUNDLE_BYTES;
    }
    List<? extends BoundedSource<?>> splits = source.split(desired, options);
    return splits.isEmpty() ? List.of(source) : splits;
  }
}
