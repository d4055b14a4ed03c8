package io.dmerge.runner.execute;

import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * End of input in batch: all time domains advance to the end of time and timers fire one at a
 * time in timestamp order, including timers that firing timers set, until none is left.
 */
final class BatchTimers {
  private BatchTimers() {}

  interface Firing {
    void fire(TimerData timer) throws Exception;
  }

  static void fireAll(InMemoryTimerInternals timers, Firing firing) throws Exception {
    timers.advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    timers.advanceSynchronizedProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
    for (TimerData t = next(timers); t != null; t = next(timers)) {
      firing.fire(t);
    }
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
}
