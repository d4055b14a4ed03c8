package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.KeyBytes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * The state and timers of the keys of one partition of a keyed step, and the time they have reached.
 *
 * <p>In batch every key starts fresh and, once its elements are in, its time jumps to the end of
 * time: all of its timers fire and its state is dropped ({@link #forBatch()}). In a streaming job
 * the keys of a partition live on between rounds ({@link StreamingStore}); each round advances all
 * of them to the round's watermark and processing time, and they hold the stage's output
 * watermark back by their earliest watermark hold.
 */
final class KeyedStates {
  private final Map<ByteBuffer, KeyState> keys = new LinkedHashMap<>();
  private final boolean kept;
  private final boolean timersHold;
  /** The time every kept key has reached, where a new key starts. */
  private Instant reachedWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant reachedProcessingTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  /** The time keys advance to once their elements are in. */
  private Instant watermark;
  private Instant processingTime;

  private KeyedStates(boolean kept, boolean timersHold, Instant watermark, Instant processingTime) {
    this.kept = kept;
    this.timersHold = timersHold;
    this.watermark = watermark;
    this.processingTime = processingTime;
  }

  /** Fresh state per key; once a key's elements are in, its time jumps to the end and every timer fires. */
  static KeyedStates forBatch() {
    return new KeyedStates(false, false, BoundedWindow.TIMESTAMP_MAX_VALUE, BoundedWindow.TIMESTAMP_MAX_VALUE);
  }

  /**
   * Keys that live on from round to round, starting at the beginning of time. With {@code
   * timersHold}, a pending timer holds the output watermark at its output timestamp, as a user
   * DoFn's timers do; ReduceFnRunner keeps its holds in state instead, and stamps its
   * processing-time timers with their processing time, which is no event time to hold.
   */
  static KeyedStates streaming(boolean timersHold) {
    return new KeyedStates(true, timersHold, BoundedWindow.TIMESTAMP_MIN_VALUE, BoundedWindow.TIMESTAMP_MIN_VALUE);
  }

  /** One key: its state and timers. */
  record KeyState(Object key, HoldTrackingStateInternals<Object> state, HoldTrackingTimerInternals timers) {}

  /** Fires one timer of a key. */
  interface Firing {
    void fire(TimerData timer) throws Exception;
  }

  /** Makes a key's {@link Firing} once one of its timers is due: each needs a runner of its own. */
  interface Firings {
    Firing open() throws Exception;
  }

  /** Whether keys live on after their elements: then every kept key's timers are due in each round. */
  boolean kept() {
    return kept;
  }

  /**
   * Starts a round: after their elements, keys advance to this input watermark and processing time.
   * Once the input is complete (its watermark at the end of time) processing time ends too, as in
   * batch: no timer is left to hold the output watermark back forever.
   */
  void startRound(Instant inputWatermark, Instant now) {
    watermark = later(reachedWatermark, inputWatermark);
    processingTime =
        watermark.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE) ? later(reachedProcessingTime, now) : BoundedWindow.TIMESTAMP_MAX_VALUE;
  }

  /** Every kept key has advanced to the round's time. */
  void endRound() {
    reachedWatermark = watermark;
    reachedProcessingTime = processingTime;
  }

  /** The key's state and timers; a new key starts at the time the partition has reached. */
  KeyState of(Object key, KeyBytes<Object> coder) throws Exception {
    ByteBuffer encodedKey = kept ? ByteBuffer.wrap(coder.encode(key)) : null;
    KeyState state = kept ? keys.get(encodedKey) : null;
    if (state == null) {
      state = new KeyState(key, new HoldTrackingStateInternals<>(key), new HoldTrackingTimerInternals());
      advance(state.timers(), reachedWatermark, reachedProcessingTime);
      if (kept) {
        keys.put(encodedKey, state);
      }
    }
    return state;
  }

  /** Every kept key. */
  Collection<KeyState> all() {
    return List.copyOf(keys.values());
  }

  /**
   * Advances the key to the round's time and fires its timers that are due, one at a time in time
   * order, including those that firing timers set.
   */
  void fireDue(KeyState key, Firings firings) throws Exception {
    InMemoryTimerInternals timers = key.timers();
    advance(timers, watermark, processingTime);
    Firing firing = null;
    for (TimerData t = next(timers); t != null; t = next(timers)) {
      firing = firing == null ? firings.open() : firing;
      firing.fire(t);
    }
  }

  /**
   * Advances the key to the round's time and takes all of its timers that are due, in time order,
   * for a runner that fires a window's timers together.
   */
  List<TimerData> takeDue(KeyState key) throws Exception {
    InMemoryTimerInternals timers = key.timers();
    advance(timers, watermark, processingTime);
    List<TimerData> due = new ArrayList<>();
    for (TimerData t = next(timers); t != null; t = next(timers)) {
      due.add(t);
    }
    return due;
  }

  /** The earliest watermark hold of any kept key (state or timer), or the end of time. */
  Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (KeyState key : keys.values()) {
      earliest = earlier(earliest, key.state().earliestHold());
      if (timersHold) {
        earliest = earlier(earliest, key.timers().earliestHold());
      }
    }
    return earliest;
  }

  private static void advance(InMemoryTimerInternals timers, Instant watermark, Instant now) throws Exception {
    timers.advanceInputWatermark(watermark);
    timers.advanceProcessingTime(now);
    timers.advanceSynchronizedProcessingTime(now);
  }

  private static TimerData next(InMemoryTimerInternals timers) {
    TimerData t = timers.removeNextEventTimer();
    if (t == null) {
      t = timers.removeNextProcessingTimer();
    }
    if (t == null) {
      t = timers.removeNextSynchronizedProcessingTimer();
    }
    return t;
  }

  private static Instant later(Instant a, Instant b) {
    return b.isAfter(a) ? b : a;
  }

  private static Instant earlier(Instant a, Instant b) {
    return b.isBefore(a) ? b : a;
  }
}
