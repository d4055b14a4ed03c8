package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * A stateful ParDo on one partition: elements of a key arrive together, run against that key's
 * state and timers (runners-core's StatefulDoFnRunner handles window expiry, late data, state
 * cleanup and time-sorted input), then the key's timers that are due fire: in batch all of them
 * at the end of input, in a streaming round those the round's time has reached ({@link KeyedStates}).
 */
final class KeyedParDoRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  private final KeyBytes<Object> keys;
  private final ShuffleReader.Decoder<WindowedValue<Object>> values;
  private final DoFnInstance instance;
  private final KeyedStates states;
  private final SideInputWait wait;
  private final MetricsScope metrics;
  /** The first key's runner; it starts and finishes the task's one bundle. */
  private DoFnRunner<Object, Object> bundle;

  KeyedParDoRoot(
      ShuffleReader reader,
      int partition,
      KeyBytes<Object> keys,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      DoFnInstance instance,
      KeyedStates states,
      SideInputWait wait,
      MetricsScope metrics) {
    this.reader = reader;
    this.partition = partition;
    this.keys = keys;
    this.values = values;
    this.instance = instance;
    this.states = states;
    this.wait = wait;
    this.metrics = metrics;
  }

  @Override
  public void run() throws Exception {
    instance.setup();
    wait.release(this::processOne);
    GroupedPartition.forEachKey(reader, partition, keys, values, this::processKey);
    for (KeyedStates.KeyState key : states.all()) {
      states.fireDue(key, () -> firing(key, runner(key)));
    }
    if (bundle != null) {
      metrics.run(bundle::finishBundle);
    }
  }

  private void processKey(Object key, Iterable<WindowedValue<Object>> elements) throws Exception {
    KeyedStates.KeyState state = states.of(key, keys);
    DoFnRunner<Object, Object> runner = runner(state);
    for (WindowedValue<Object> element : elements) {
      wait.offer(element, ready -> metrics.run(() -> runner.processElement(element)));
    }
    if (!states.kept()) {
      states.fireDue(state, () -> firing(state, runner));
    }
  }

  /** An element of an earlier round whose side inputs are now ready, against its key's state. */
  @SuppressWarnings("unchecked")
  private void processOne(WindowedValue<?> element) throws Exception {
    DoFnRunner<Object, Object> runner = runner(states.of(((KV<Object, ?>) element.getValue()).getKey(), keys));
    metrics.run(() -> runner.processElement((WindowedValue<Object>) element));
  }

  /** The key's runner; the first one made starts the task's one bundle. */
  private DoFnRunner<Object, Object> runner(KeyedStates.KeyState key) throws Exception {
    DoFnRunner<Object, Object> runner = statefulRunner(key.state(), key.timers());
    if (bundle == null) {
      bundle = runner;
      metrics.run(bundle::startBundle);
    }
    return runner;
  }

  private KeyedStates.Firing firing(KeyedStates.KeyState key, DoFnRunner<Object, Object> runner) {
    return t -> {
      BoundedWindow window = ((StateNamespaces.WindowNamespace<?>) t.getNamespace()).getWindow();
      metrics.run(
          () ->
              runner.onTimer(
                  t.getTimerId(), t.getTimerFamilyId(), key.key(), window, t.getTimestamp(), t.getOutputTimestamp(),
                  t.getDomain(), t.causedByDrain()));
    };
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
