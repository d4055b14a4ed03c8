package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.RegionRef;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;

/** What one task of a stage reads. */
public sealed interface TaskInput extends Serializable {

  /** One split of a bounded source. */
  record SourceSplit(BoundedSource<?> source) implements TaskInput {}

  /** The single element of an Impulse. */
  record Impulse() implements TaskInput {}

  /** The elements of one event of a TestStream. */
  record StreamEvent(int event) implements TaskInput {}

  /** One partition of a boundary, from the regions of all its producer tasks. */
  record Partition(int partition, List<RegionRef> regions) implements TaskInput {}
}
