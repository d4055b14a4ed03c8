package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.runners.core.GlobalCombineFnRunner;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.joda.time.Instant;

/**
 * Combiner lifting, producer side: folds each (key, window) into an accumulator in memory and
 * writes only the accumulators to the shuffle, so a word count ships one record per distinct word
 * and task instead of one per word.
 */
final class PartialCombineOperator implements Operator {
  /** Beyond this many live accumulators the table is flushed, bounding memory for high-cardinality keys. */
  static final int MAX_ENTRIES = 200_000;

  private final ShuffleWriter<WindowedValue<?>> writer;
  private final KeyBytes<Object> keys;
  private final GlobalCombineFnRunner<Object, Object, ?> fn;
  private final TimestampCombiner timestampCombiner;
  private final PipelineOptions options;
  private final MetricsScope metrics;
  private final Map<KeyAndWindow, Partial> table = new HashMap<>();

  PartialCombineOperator(
      ShuffleWriter<WindowedValue<?>> writer,
      KeyBytes<Object> keys,
      GlobalCombineFnRunner<Object, Object, ?> fn,
      TimestampCombiner timestampCombiner,
      PipelineOptions options,
      MetricsScope metrics) {
    this.writer = writer;
    this.keys = keys;
    this.fn = fn;
    this.timestampCombiner = timestampCombiner;
    this.options = options;
    this.metrics = metrics;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, ?> kv = (KV<?, ?>) element.getValue();
    byte[] key = keys.encode(kv.getKey());
    for (BoundedWindow window : element.getWindows()) {
      List<BoundedWindow> windows = List.of(window);
      Instant ts = timestampCombiner.assign(window, element.getTimestamp());
      KeyAndWindow kw = new KeyAndWindow(key, window);
      Partial p = table.get(kw);
      if (p == null) {
        p = new Partial();
        Partial created = p;
        metrics.run(() -> created.accumulator = fn.createAccumulator(options, NullSideInputReader.empty(), windows));
        p.timestamp = ts;
        table.put(kw, p);
      } else {
        p.timestamp = timestampCombiner.combine(p.timestamp, ts);
      }
      Partial target = p;
      metrics.run(() -> target.accumulator = fn.addInput(target.accumulator, kv.getValue(), options, NullSideInputReader.empty(), windows));
    }
    if (table.size() >= MAX_ENTRIES) {
      flush();
    }
  }

  @Override
  public void finish() throws Exception {
    flush();
  }

  private void flush() throws Exception {
    for (Map.Entry<KeyAndWindow, Partial> e : table.entrySet()) {
      Partial p = e.getValue();
      writer.write(e.getKey().key, WindowedValues.of(p.accumulator, p.timestamp, e.getKey().window, PaneInfo.NO_FIRING));
    }
    table.clear();
  }

  @Override
  public void close() {
    writer.close();
  }

  private static final class Partial {
    Object accumulator;
    Instant timestamp;
  }

  /** An encoded key and a window; equality by key bytes. */
  static final class KeyAndWindow {
    final byte[] key;
    final BoundedWindow window;
    private final int hash;

    KeyAndWindow(byte[] key, BoundedWindow window) {
      this.key = key;
      this.window = window;
      this.hash = 31 * java.util.Arrays.hashCode(key) + window.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof KeyAndWindow)) {
        return false;
      }
      KeyAndWindow other = (KeyAndWindow) o;
      return hash == other.hash && java.util.Arrays.equals(key, other.key) && Objects.equals(window, other.window);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
