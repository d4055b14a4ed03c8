package io.dmerge.runner.execute;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;

/**
 * A key's in-memory timers that also answer how far they hold the output watermark back: a set
 * timer holds it at its output timestamp until it fires or is deleted.
 */
final class HoldTrackingTimerInternals extends InMemoryTimerInternals {
  private final Map<List<Object>, TimerData> pending = new HashMap<>();

  @Override
  public void setTimer(TimerData timer) {
    super.setTimer(timer);
    pending.put(id(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId()), timer);
  }

  @Override
  public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId) {
    super.deleteTimer(namespace, timerId, timerFamilyId);
    pending.remove(id(namespace, timerId, timerFamilyId));
  }

  @Override
  public void deleteTimer(StateNamespace namespace, String timerId, String timerFamilyId, TimeDomain domain) {
    super.deleteTimer(namespace, timerId, timerFamilyId, domain);
    pending.remove(id(namespace, timerId, timerFamilyId));
  }

  @Override
  public void deleteTimer(TimerData timer) {
    super.deleteTimer(timer);
    pending.remove(id(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId()));
  }

  @Override
  public TimerData removeNextEventTimer() {
    return fired(super.removeNextEventTimer());
  }

  @Override
  public TimerData removeNextProcessingTimer() {
    return fired(super.removeNextProcessingTimer());
  }

  @Override
  public TimerData removeNextSynchronizedProcessingTimer() {
    return fired(super.removeNextSynchronizedProcessingTimer());
  }

  /** The earliest output timestamp of a pending timer, or the end of time. */
  Instant earliestHold() {
    Instant earliest = BoundedWindow.TIMESTAMP_MAX_VALUE;
    for (TimerData timer : pending.values()) {
      earliest = timer.getOutputTimestamp().isBefore(earliest) ? timer.getOutputTimestamp() : earliest;
    }
    return earliest;
  }

  private TimerData fired(TimerData timer) {
    if (timer != null) {
      pending.remove(id(timer.getNamespace(), timer.getTimerId(), timer.getTimerFamilyId()));
    }
    return timer;
  }

  private static List<Object> id(StateNamespace namespace, String timerId, String timerFamilyId) {
    return List.of(namespace, timerId, timerFamilyId);
  }
}
