package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import java.util.List;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A stateful ParDo on one partition: elements of a key arrive together, run against that key's
 * state and timers (runners-core's StatefulDoFnRunner handles window expiry, state cleanup and
 * time-sorted input), and
 * at end of input every event-time timer fires.
 */
final class KeyedParDoRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  private final KeyBytes<Object> keys;
  private final ShuffleReader.Decoder<WindowedValue<Object>> values;
  private final DoFnInstance instance;
  private final MetricsScope metrics;
  /** The first key's runner; it starts and finishes the task's one bundle. */
  private DoFnRunner<Object, Object> bundle;

  KeyedParDoRoot(
      ShuffleReader reader,
      int partition,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      DoFnInstance instance,
      MetricsScope metrics) {
    this.reader = reader;
    this.partition = partition;
    this.keys = keys;
    this.values = values;
    this.instance = instance;
    this.metrics = metrics;
  }

  @Override
  public void run() throws Exception {
    instance.setup();
    GroupedPartition.forEachKey(reader, partition, keys, values, this::processKey);
    if (bundle != null) {
      metrics.run(bundle::finishBundle);
    }
  }

  private void processKey(Object key, List<WindowedValue<Object>> elements) throws Exception {
    StateInternals state = InMemoryStateInternals.forKey(key);
    InMemoryTimerInternals timers = new InMemoryTimerInternals();
    DoFnRunner<Object, Object> runner = statefulRunner(state, timers);
    if (bundle == null) {
      bundle = runner;
      metrics.run(bundle::startBundle);
    }
    BatchTimers.Firing fire =
        t -> {
          BoundedWindow window = ((StateNamespaces.WindowNamespace<?>) t.getNamespace()).getWindow();
          metrics.run(
              () ->
                  runner.onTimer(
                      t.getTimerId(), t.getTimerFamilyId(), key, window, t.getTimestamp(), t.getOutputTimestamp(),
                      t.getDomain(), t.causedByDrain()));
        };
    for (WindowedValue<Object> element : elements) {
      metrics.run(() -> runner.processElement(element));
    }
    BatchTimers.fireAll(timers, fire);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private DoFnRunner<Object, Object> statefulRunner(StateInternals state, InMemoryTimerInternals timers) {
    TaskStepContext context = TaskStepContext.forKey(state, timers, instance.finalizer());
    Coder<BoundedWindow> windowCoder = (Coder) instance.step().windowing().getWindowFn().windowCoder();
    return DoFnRunners.defaultStatefulDoFnRunner(
        instance.fn(),
        (Coder) instance.step().inputCoder(),
        instance.runner(context),
        context,
        instance.step().windowing(),
        new StatefulDoFnRunner.TimeInternalsCleanupTimer<>(timers, instance.step().windowing()),
        new StatefulDoFnRunner.StateInternalsStateCleaner<>(instance.fn(), state, windowCoder),
        // @RequiresTimeSortedInput: StatefulDoFnRunner buffers and releases elements as the watermark passes them.
        true);
  }

  @Override
  public void close() {
    try {
      instance.close();
    } finally {
      reader.close();
    }
  }
}
