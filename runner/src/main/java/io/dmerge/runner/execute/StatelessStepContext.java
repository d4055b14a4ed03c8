package io.dmerge.runner.execute;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;

/** The step context of a DoFn without state or timers: asking for either is a bug. */
final class StatelessStepContext implements StepContext {
  static final StatelessStepContext INSTANCE = new StatelessStepContext();

  @Override
  public StateInternals stateInternals() {
    throw new UnsupportedOperationException("this DoFn declares no state");
  }

  @Override
  public TimerInternals timerInternals() {
    throw new UnsupportedOperationException("this DoFn declares no timers");
  }
}
