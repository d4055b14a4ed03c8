package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.GlobalCombineFnRunner;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.MetricsContainer;
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
 * and task instead of one per word. Keys are compared by their coder's structural value (the key
 * itself for coders consistent with equals), so the hot path never encodes; each key is encoded once,
 * when its accumulator is written.
 */
final class PartialCombineOperator implements Operator {
  /** Beyond this many live accumulators the table is flushed, bounding memory for high-cardinality keys. */
  static final int MAX_ENTRIES = 200_000;

  private final ShuffleWriter<WindowedValue<?>> writer;
  private final KeyBytes<Object> keys;
  private final Coder<Object> keyCoder;
  private final GlobalCombineFnRunner<Object, Object, ?> fn;
  private final TimestampCombiner timestampCombiner;
  private final PipelineOptions options;
  private final MetricsScope metrics;
  /** Accumulators by window, then by key; nearly always a single window (the global one). */
  private final Map<BoundedWindow, Map<Object, Partial>> tables = new HashMap<>();
  private BoundedWindow lastWindow;
  private Map<Object, Partial> lastTable;
  private int entries;

  PartialCombineOperator(
      ShuffleWriter<WindowedValue<?>> writer,
      KeyBytes<Object> keys,
      Coder<Object> keyCoder,
      GlobalCombineFnRunner<Object, Object, ?> fn,
      TimestampCombiner timestampCombiner,
      PipelineOptions options,
      MetricsScope metrics) {
    this.writer = writer;
    this.keys = keys;
    this.keyCoder = keyCoder;
    this.fn = fn;
    this.timestampCombiner = timestampCombiner;
    this.options = options;
    this.metrics = metrics;
  }

  @Override
  public void accept(WindowedValue<?> element) throws Exception {
    KV<?, ?> kv = (KV<?, ?>) element.getValue();
    Object structural = keyCoder.structuralValue(kv.getKey());
    MetricsContainer previous = metrics.enter();
    try {
      for (BoundedWindow window : element.getWindows()) {
        add(kv, structural, window, element.getTimestamp());
      }
    } finally {
      MetricsScope.exit(previous);
    }
    if (entries >= MAX_ENTRIES) {
      flush();
    }
  }

  private void add(KV<?, ?> kv, Object structural, BoundedWindow window, Instant timestamp) {
    Map<Object, Partial> table = tableFor(window);
    Partial p = table.get(structural);
    if (p == null) {
      Instant ts = timestampCombiner.assign(window, timestamp);
      p = new Partial(kv.getKey(), window, fn.createAccumulator(options, NullSideInputReader.empty(), List.of(window)), ts);
      table.put(structural, p);
      entries++;
    } else if (timestampCombiner != TimestampCombiner.END_OF_WINDOW) {
      // END_OF_WINDOW assigns every input the same timestamp: nothing to combine on the hot path.
      p.timestamp = timestampCombiner.combine(p.timestamp, timestampCombiner.assign(window, timestamp));
    }
    p.accumulator = fn.addInput(p.accumulator, kv.getValue(), options, NullSideInputReader.empty(), p.windows);
  }

  private Map<Object, Partial> tableFor(BoundedWindow window) {
    if (!window.equals(lastWindow)) {
      lastWindow = window;
      lastTable = tables.computeIfAbsent(window, w -> new HashMap<>());
    }
    return lastTable;
  }

  @Override
  public void finish() throws Exception {
    flush();
  }

  private void flush() throws Exception {
    for (Map<Object, Partial> table : tables.values()) {
      for (Partial p : table.values()) {
        writer.write(keys.encode(p.key), WindowedValues.of(p.accumulator, p.timestamp, p.windows.get(0), PaneInfo.NO_FIRING));
      }
    }
    tables.clear();
    lastWindow = null;
    lastTable = null;
    entries = 0;
  }

  @Override
  public void close() {
    writer.close();
  }

  private static final class Partial {
    final Object key;
    final List<BoundedWindow> windows;
    Object accumulator;
    Instant timestamp;

    Partial(Object key, BoundedWindow window, Object accumulator, Instant timestamp) {
      this.key = key;
      this.windows = List.of(window);
      this.accumulator = accumulator;
      this.timestamp = timestamp;
    }
  }
}
