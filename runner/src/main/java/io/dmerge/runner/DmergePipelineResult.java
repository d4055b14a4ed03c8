package io.dmerge.runner;

import io.dmerge.runner.metrics.JobMetrics;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/** The handle on a running or finished job. */
public final class DmergePipelineResult implements PipelineResult {
  private final JobMetrics metrics;
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile State state = State.RUNNING;
  private volatile Throwable failure;
  private volatile Runnable canceller = () -> {};

  DmergePipelineResult(JobMetrics metrics) {
    this.metrics = metrics;
  }

  void onCancel(Runnable canceller) {
    this.canceller = canceller;
  }

  void complete(State terminal, Throwable failure) {
    this.failure = failure;
    if (state != State.CANCELLED) {
      this.state = terminal;
    }
    finished.countDown();
  }

  @Override
  public State getState() {
    return state;
  }

  @Override
  public State cancel() {
    if (!state.isTerminal()) {
      state = State.CANCELLED;
      canceller.run();
    }
    return state;
  }

  /**
   * Waits up to {@code duration} (forever when null or not positive); returns the terminal state,
   * or null if the job is still running. A failed job throws its user-facing cause.
   */
  @Override
  public State waitUntilFinish(Duration duration) {
    try {
      if (duration == null || duration.getMillis() <= 0) {
        finished.await();
      } else if (!finished.await(duration.getMillis(), TimeUnit.MILLISECONDS)) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (state == State.FAILED) {
      throw new Pipeline.PipelineExecutionException(failure);
    }
    return state;
  }

  @Override
  public State waitUntilFinish() {
    return waitUntilFinish(Duration.ZERO);
  }

  @Override
  public MetricResults metrics() {
    return metrics.results();
  }
}
