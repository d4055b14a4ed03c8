package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleWriter;
import io.dmerge.runner.translate.SplittableWork;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValue;
import org.joda.time.Instant;

/**
 * Producer side of a side input or rebalance: whole elements, spread over partitions in turn. For
 * the residuals of a splittable DoFn it also keeps the earliest watermark they hold.
 */
final class UnkeyedWriteOperator implements Operator {
  private final ShuffleWriter<WindowedValue<?>> writer;
  private final boolean residuals;
  private Instant earliestHold = BoundedWindow.TIMESTAMP_MAX_VALUE;

  UnkeyedWriteOperator(ShuffleWriter<WindowedValue<?>> writer, boolean residuals) {
    this.writer = writer;
    this.residuals = residuals;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    if (residuals) {
      Instant hold = ((SplittableWork<?, ?, ?>) element.getValue()).watermarkHold();
      earliestHold = hold.isBefore(earliestHold) ? hold : earliestHold;
    }
    writer.writeUnkeyed(element);
  }

  /** The earliest watermark hold of the residuals written, or the end of time. */
  Instant earliestHold() {
    return earliestHold;
  }

  @Override
  public void close() {
    writer.close();
  }
}
