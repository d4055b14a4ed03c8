package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Combiner lifting, consumer side: merges the partial accumulators of one partition from all
 * producers per (key, window) and emits the extracted output as the window's only, on-time pane.
 */
final class CombineRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  private final KeyBytes<Object> keys;
  private final ShuffleReader.Decoder<WindowedValue<Object>> accumulators;
  private final GlobalCombineFnRunner<Object, Object, Object> fn;
  private final TimestampCombiner timestampCombiner;
  private final PipelineOptions options;
  private final MetricsScope metrics;
  private final Receiver output;

  CombineRoot(
      ShuffleReader reader,
      int partition,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> accumulators,
      GlobalCombineFnRunner<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      PipelineOptions options,
      MetricsScope metrics,
      Receiver output) {
    this.reader = reader;
    this.partition = partition;
    this.keys = keys;
    this.accumulators = accumulators;
    this.fn = fn;
    this.timestampCombiner = timestampCombiner;
    this.options = options;
    this.metrics = metrics;
    this.output = output;
  }

  @Override
  public void run() throws Exception {
    GroupedPartition.forEachKey(
        reader,
        partition,
        keys,
        accumulators,
        (key, partials) -> {
          Map<BoundedWindow, List<WindowedValue<Object>>> byWindow = new LinkedHashMap<>();
          for (WindowedValue<Object> acc : partials) {
            byWindow.computeIfAbsent(acc.getWindows().iterator().next(), w -> new ArrayList<>()).add(acc);
          }
          for (Map.Entry<BoundedWindow, List<WindowedValue<Object>>> w : byWindow.entrySet()) {
            emit(key, w.getKey(), w.getValue());
          }
        });
  }

  private void emit(Object key, BoundedWindow window, List<WindowedValue<Object>> partials) throws Exception {
    List<BoundedWindow> windows = List.of(window);
    List<Object> accs = new ArrayList<>(partials.size());
    Instant ts = null;
    for (WindowedValue<Object> p : partials) {
      accs.add(p.getValue());
      ts = ts == null ? p.getTimestamp() : timestampCombiner.combine(ts, p.getTimestamp());
    }
    Object[] result = new Object[1];
    metrics.run(
        () -> {
          Object merged = accs.size() == 1 ? accs.get(0) : fn.mergeAccumulators(accs, options, NullSideInputReader.empty(), windows);
          result[0] = fn.extractOutput(merged, options, NullSideInputReader.empty(), windows);
        });
    output.accept(WindowedValues.of(KV.of(key, result[0]), ts, window, PaneInfo.ON_TIME_AND_ONLY_FIRING));
  }

  @Override
  public void close() {
    reader.close();
  }
}
