package io.dmerge.runner.execute;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * What the tasks of a streaming job keep from one round to the next, per stage and partition: the
 * keys' state and timers of a keyed step ({@link KeyedStates}), and the elements waiting in a
 * rebalance for their side inputs ({@link SideInputWait}). It lives in the memory of the executor
 * that runs every round's task of a partition.
 */
public final class StreamingStore {
  private final Map<String, KeyedStates> keyed = new ConcurrentHashMap<>();
  private final Map<String, List<WindowedValue<Object>>> waiting = new ConcurrentHashMap<>();

  /** @param timersHold whether the step's timers hold its output watermark ({@link KeyedStates#streaming}) */
  KeyedStates keyed(int stage, int partition, boolean timersHold) {
    return keyed.computeIfAbsent(stage + "/" + partition, k -> KeyedStates.streaming(timersHold));
  }

  /** The elements of this partition still waiting for their side inputs. */
  List<WindowedValue<Object>> waiting(int stage, int partition) {
    return waiting.computeIfAbsent(stage + "/" + partition, k -> new ArrayList<>());
  }
}
