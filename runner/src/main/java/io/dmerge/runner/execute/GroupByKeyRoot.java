package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import io.dmerge.runner.shuffle.ShuffleReader;
import java.util.List;
import org.apache.beam.runners.core.LateDataUtils;
import org.apache.beam.runners.core.NullSideInputReader;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.metrics.CounterCell;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.WindowedValue;
import org.apache.beam.sdk.values.WindowedValues;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.collect.Iterables;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.collect.Lists;
import org.joda.time.Instant;

/**
 * Consumer side of GroupByKey: merges one partition from all producers, then runs runners-core's
 * ReduceFnRunner per key so windowing, merging windows, triggers and allowed lateness behave as
 * Beam specifies. In batch the whole input is present, so the watermark jumps to the end of time
 * after a key's elements and every remaining timer fires. In a streaming round the keys keep
 * their state and advance to the round's time ({@link KeyedStates}), firing what is due before the
 * round's elements and what they made due after them.
 *
 * <p>The common batch case — windows that never merge, default trigger — has exactly one on-time
 * pane per key and window, so it is grouped directly, without per-key state and timers: its
 * producers write each element under its key and window ({@link KeyInWindowWriteOperator}).
 */
final class GroupByKeyRoot implements Root {
  private final ShuffleReader reader;
  private final int partition;
  /** Whether the records are grouped by key and window ({@link #groupsByWindow}): then their keys carry the window. */
  private final boolean byWindow;
  private final KeyBytes<Object> keys;
  private final ShuffleReader.Decoder<WindowedValue<Object>> values;
  private final Coder<Object> valueCoder;
  private final WindowingStrategy<Object, BoundedWindow> windowing;
  private final PipelineOptions options;
  private final KeyedStates states;
  private final CounterCell droppedDueToLateness;
  private final Receiver output;

  @SuppressWarnings("unchecked")
  GroupByKeyRoot(
      ShuffleReader reader,
      int partition,
      Coder<?> keyCoder,
      ShuffleReader.Decoder<WindowedValue<Object>> values,
      Coder<?> valueCoder,
      WindowingStrategy<?, ?> windowing,
      PipelineOptions options,
      KeyedStates states,
      CounterCell droppedDueToLateness,
      Receiver output) {
    this.reader = reader;
    this.partition = partition;
    this.byWindow = groupsByWindow(windowing, !states.kept());
    this.keys = new KeyBytes<>((Coder<Object>) (byWindow ? keyInWindowCoder(keyCoder, windowing) : keyCoder));
    this.values = values;
    this.valueCoder = (Coder<Object>) valueCoder;
    this.windowing = (WindowingStrategy<Object, BoundedWindow>) windowing;
    this.options = options;
    this.states = states;
    this.droppedDueToLateness = droppedDueToLateness;
    this.output = output;
  }

  /**
   * Whether a GroupByKey groups its records by key and window, as its producers wrote them: in
   * batch, windows that never merge under the default trigger fire exactly one on-time pane per key
   * and window, so the grouping needs no per-key state and timers. The window coder must be
   * deterministic, as grouping compares the encoded window too.
   */
  static boolean groupsByWindow(WindowingStrategy<?, ?> windowing, boolean batch) {
    if (!batch || !windowing.getWindowFn().isNonMerging() || !(windowing.getTrigger() instanceof DefaultTrigger)) {
      return false;
    }
    try {
      windowing.getWindowFn().windowCoder().verifyDeterministic();
      return true;
    } catch (Coder.NonDeterministicException e) {
      return false;
    }
  }

  /** The coder of a record key where a GroupByKey {@link #groupsByWindow}: the key, followed by the window. */
  static Coder<?> keyInWindowCoder(Coder<?> keyCoder, WindowingStrategy<?, ?> windowing) {
    return KvCoder.of(keyCoder, windowing.getWindowFn().windowCoder());
  }

  @Override
  public void run() throws Exception {
    if (byWindow) {
      groupByWindow();
    } else {
      reduce();
    }
  }

  /**
   * Each key and window is one group. Its values are a view of its records, decoded from the
   * mapped regions on each iteration, so a key may have more values in a window than the heap holds.
   */
  @SuppressWarnings("unchecked")
  private void groupByWindow() throws Exception {
    TimestampCombiner timestamps = windowing.getTimestampCombiner();
    GroupedPartition.forEachKey(
        reader,
        partition,
        keys,
        values,
        (keyInWindow, elements) -> {
          KV<Object, BoundedWindow> group = (KV<Object, BoundedWindow>) keyInWindow;
          BoundedWindow window = group.getValue();
          Instant outputTime = null;
          if (timestamps == TimestampCombiner.END_OF_WINDOW) {
            outputTime = window.maxTimestamp();
          } else {
            for (WindowedValue<Object> element : elements) {
              Instant t = timestamps.assign(window, element.getTimestamp());
              outputTime = outputTime == null ? t : timestamps.combine(outputTime, t);
            }
          }
          Iterable<Object> groupValues = Iterables.transform(elements, WindowedValue::getValue);
          output.accept(
              WindowedValues.of(KV.of(group.getKey(), groupValues), outputTime, window, PaneInfo.ON_TIME_AND_ONLY_FIRING));
        });
  }

  private void reduce() throws Exception {
    ExecutableTriggerStateMachine trigger =
        ExecutableTriggerStateMachine.create(
            TriggerStateMachines.stateMachineForTrigger(TriggerTranslation.toProto(windowing.getTrigger())));
    // What was due by the round's time fires before the round's elements, which upstream produced
    // after that time: a processing-time pane holds what arrived up to then, not what came later.
    fireKeptKeys(trigger);
    GroupedPartition.forEachKey(
        reader,
        partition,
        keys,
        values,
        (key, elements) -> {
          KeyedStates.KeyState state = states.of(key, keys);
          ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> runner = runner(state, trigger);
          // ReduceFnRunner reads its input several times and keeps it in its state anyway: decode
          // the elements, and count those dropped as late, once.
          runner.processElements(
              Lists.newArrayList(LateDataUtils.dropExpiredWindows(key, elements, state.timers(), windowing, droppedDueToLateness)));
          if (!states.kept()) {
            fire(state, runner, states.takeDue(state));
          }
          runner.persist();
        });
    fireKeptKeys(trigger);
  }

  /** Fires the due timers of every kept key; a key gets a runner only when some are due. */
  private void fireKeptKeys(ExecutableTriggerStateMachine trigger) throws Exception {
    for (KeyedStates.KeyState state : states.all()) {
      List<TimerData> due = states.takeDue(state);
      if (!due.isEmpty()) {
        ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> runner = runner(state, trigger);
        fire(state, runner, due);
        runner.persist();
      }
    }
  }

  /**
   * Fires the key's due timers together, as ReduceFnRunner expects: a window whose end and whose
   * garbage collection are both due then closes with one final pane, not with an on-time pane and
   * then a second, empty copy of it. Timers that firing set and that are due fire next.
   */
  private void fire(
      KeyedStates.KeyState state, ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> runner, List<TimerData> due)
      throws Exception {
    for (; !due.isEmpty(); due = states.takeDue(state)) {
      runner.onTimers(due);
    }
  }

  private ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> runner(
      KeyedStates.KeyState state, ExecutableTriggerStateMachine trigger) {
    return new ReduceFnRunner<>(
        state.key(),
        windowing,
        trigger,
        state.state(),
        state.timers(),
        output::accept,
        NullSideInputReader.empty(),
        SystemReduceFn.buffering(valueCoder),
        options);
  }

  @Override
  public void close() {
    reader.close();
  }
}
