package io.dmerge.runner.execute;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;

/**
 * What a DoFn runner may ask of the task: the bundle finalizer always; state and timers only for a
 * stateful DoFn, scoped to the key being processed.
 */
final class TaskStepContext implements StepContext {
  private final StateInternals state;
  private final TimerInternals timers;
  private final BundleFinalizer finalizer;

  private TaskStepContext(StateInternals state, TimerInternals timers, BundleFinalizer finalizer) {
    this.state = state;
    this.timers = timers;
    this.finalizer = finalizer;
  }

  static TaskStepContext stateless(BundleFinalizer finalizer) {
    return new TaskStepContext(null, null, finalizer);
  }

  static TaskStepContext forKey(StateInternals state, TimerInternals timers, BundleFinalizer finalizer) {
    return new TaskStepContext(state, timers, finalizer);
  }

  @Override
  public StateInternals stateInternals() {
    if (state == null) {
      throw new UnsupportedOperationException("this DoFn declares no state");
    }
    return state;
  }

  @Override
  public TimerInternals timerInternals() {
    if (timers == null) {
      throw new UnsupportedOperationException("this DoFn declares no timers");
    }
    return timers;
  }

  @Override
  public BundleFinalizer bundleFinalizer() {
    return finalizer;
  }
}
