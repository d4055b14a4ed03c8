package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleWriter;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * Producer side of a keyed boundary: writes each element under its encoded key. GroupByKey keeps
 * only the value (the key is in the record key); a keyed ParDo keeps the whole element.
 */
final class KeyedWriteOperator implements Operator {
  private final ShuffleWriter<WindowedValue<?>> writer;
  private final KeyBytes<Object> keys;
  private final boolean valueOnly;

  KeyedWriteOperator(ShuffleWriter<WindowedValue<?>> writer, KeyBytes<Object> keys, boolean valueOnly) {
    this.writer = writer;
    this.keys = keys;
    this.valueOnly = valueOnly;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, ?> kv = (KV<?, ?>) element.getValue();
    writer.write(keys.encode(kv.getKey()), valueOnly ? element.withValue(kv.getValue()) : element);
  }

  @Override
  public void close() {
    writer.close();
  }
}
