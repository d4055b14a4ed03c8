package io.dmerge.runner.execute;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;

/** The step context of a DoFn without state or timers: asking for either is a bug. */
final class StatelessStepContext implements StepContext {
  private final BundleFinalizer finalizer;

  StatelessStepContext(BundleFinalizer finalizer) {
    this.finalizer = finalizer;
  }

  @Override
  public BundleFinalizer bundleFinalizer() {
    return finalizer;
  }

  @Override
  public StateInternals stateInternals() {
    throw new UnsupportedOperationException("this DoFn declares no state");
  }

  @Override
  public TimerInternals timerInternals() {
    throw new UnsupportedOperationException("this DoFn declares no timers");
  }
}
