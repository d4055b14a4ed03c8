package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.ShuffleReader;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Consumer side of a rebalance: the partition's elements from all producers, unchanged; in a
 * streaming round, after the elements of earlier rounds that waited for their side inputs, and
 * each only once its side inputs are complete ({@link SideInputWait}).
 */
final class RebalanceRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  private final ShuffleReader.Decoder<WindowedValue<Object>> values;
  private final SideInputWait wait;
  private final Receiver output;

  /** @param wait where elements wait for their side inputs ({@link SideInputWait#none} in batch) */
  RebalanceRoot(
      ShuffleReader reader, int partition, ShuffleReader.Decoder<WindowedValue<Object>> values, SideInputWait wait, Receiver output) {
    this.reader = reader;
    this.partition = partition;
    this.values = values;
    this.wait = wait;
    this.output = output;
  }

  @Override
  public void run() throws Exception {
    wait.release(output);
    reader.forEach(partition, (key, value) -> wait.offer(values.decode(value), output));
  }

  @Override
  public void close() {
    reader.close();
  }
}
