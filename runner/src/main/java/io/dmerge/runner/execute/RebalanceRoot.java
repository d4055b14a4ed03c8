package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleReader;
import org.apache.beam.sdk.values.WindowedValue;

/** Consumer side of a rebalance: the partition's elements from all producers, unchanged. */
final class RebalanceRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  private final ShuffleReader.Decoder<WindowedValue<Object>> values;
  private final Receiver output;

  RebalanceRoot(ShuffleReader reader, int partition, ShuffleReader.Decoder<WindowedValue<Object>> values, Receiver output) {
    this.reader = reader;
    this.partition = partition;
    this.values = values;
    this.output = output;
  }

  @Override
  public void run() throws Exception {
    reader.forEach(partition, (key, value) -> output.accept(values.decode(value)));
  }

  @Override
  public void close() {
    reader.close();
  }
}
