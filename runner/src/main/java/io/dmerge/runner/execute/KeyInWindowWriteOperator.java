package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleWriter;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;

/**
 * Producer side of a GroupByKey that groups by key and window ({@link GroupByKeyRoot#groupsByWindow}):
 * writes the element's value once per window, under the key and that window encoded together, so
 * that each group is one run of equal record keys for the consumer's merge.
 */
final class KeyInWindowWriteOperator implements Operator {
  private final ShuffleWriter<WindowedValue<?>> writer;
  private final KeyBytes<KV<Object, BoundedWindow>> keysInWindows;

  KeyInWindowWriteOperator(ShuffleWriter<WindowedValue<?>> writer, KeyBytes<KV<Object, BoundedWindow>> keysInWindows) {
    this.writer = writer;
    this.keysInWindows = keysInWindows;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, ?> kv = (KV<?, ?>) element.getValue();
    for (BoundedWindow window : element.getWindows()) {
      writer.write(
          keysInWindows.encode(KV.of(kv.getKey(), window)),
          WindowedValues.of(kv.getValue(), element.getTimestamp(), window, element.getPaneInfo()));
    }
  }

  @Override
  public void close() {
    writer.close();
  }
}
