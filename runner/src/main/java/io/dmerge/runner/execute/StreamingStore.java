package io.dmerge.runner.execute;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.values.WindowedValue;

/**
 * What the tasks of a streaming job keep from one round to the next, per stage and partition: the
 * keys' state and timers of a keyed step ({@link KeyedStates}), the elements waiting in a
 * rebalance for their side inputs ({@link SideInputWait}), and the set-up DoFns of its steps, so
 * that a DoFn's {@code @Setup} (a model loaded, a connection opened) runs once per partition, not
 * once per round. It lives in the memory of the executor that runs every round's task of a
 * partition, and {@link #close()} ends it with the job.
 */
public final class StreamingStore implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StreamingStore.class);
  private final Map<String, KeyedStates> keyed = new ConcurrentHashMap<>();
  private final Map<String, List<WindowedValue<Object>>> waiting = new ConcurrentHashMap<>();
  private final Map<String, DoFn<Object, Object>> doFns = new ConcurrentHashMap<>();

  /** @param timersHold whether the step's timers hold its output watermark ({@link KeyedStates#streaming}) */
  KeyedStates keyed(int stage, int partition, boolean timersHold) {
    return keyed.computeIfAbsent(stage + "/" + partition, k -> KeyedStates.streaming(timersHold));
  }

  /** The elements of this partition still waiting for their side inputs. */
  List<WindowedValue<Object>> waiting(int stage, int partition) {
    return waiting.computeIfAbsent(stage + "/" + partition, k -> new ArrayList<>());
  }

  /** Where a step of a stage's partition keeps its set-up DoFn between rounds. */
  DoFnSlot doFnSlot(int stage, int partition, String step) {
    return new DoFnSlot(this, stage + "/" + partition + "/" + step);
  }

  /** A step's place for its set-up DoFn in one partition of a streaming job. */
  record DoFnSlot(StreamingStore store, String key) {
    /** The set-up DoFn an earlier round's task left here, or null; it is the caller's until it keeps it again. */
    DoFn<Object, Object> take() {
      return store.doFns.remove(key);
    }

    /** Keeps a set-up DoFn for the next round's task. */
    void keep(DoFn<Object, Object> fn) {
      DoFn<Object, Object> replaced = store.doFns.put(key, fn);
      if (replaced != null) {
        tearDown(replaced);
      }
    }
  }

  /** The job is over: tears down the kept DoFns and drops what the rounds kept. */
  @Override
  public void close() {
    for (String slot : List.copyOf(doFns.keySet())) {
      DoFn<Object, Object> fn = doFns.remove(slot);
      if (fn != null) {
        tearDown(fn);
      }
    }
    keyed.clear();
    waiting.clear();
  }

  private static void tearDown(DoFn<Object, Object> fn) {
    try {
      DoFnInvokers.invokerFor(fn).invokeTeardown();
    } catch (RuntimeException e) {
      LOG.warn("@Teardown of {} failed", fn.getClass().getName(), e);
    }
  }
}
