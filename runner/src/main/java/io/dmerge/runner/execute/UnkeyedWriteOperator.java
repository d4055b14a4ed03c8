package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleWriter;
import org.apache.beam.sdk.values.WindowedValue;

/** Producer side of a side input or rebalance: whole elements, spread over partitions in turn. */
final class UnkeyedWriteOperator implements Operator {
  private final ShuffleWriter<WindowedValue<?>> writer;

  UnkeyedWriteOperator(ShuffleWriter<WindowedValue<?>> writer) {
    this.writer = writer;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    writer.writeUnkeyed(element);
  }

  @Override
  public void close() {
    writer.close();
  }
}
