package io.dmerge.runner.execute;

import org.apache.beam.sdk.io.BoundedSource;

/**
 * A task's bounded read while it runs, as the scheduler sees it: when a slot falls idle, the read
 * can give the unread half of its range to a new task (dynamic work rebalancing, which Beam's
 * {@link BoundedSource.BoundedReader#splitAtFraction} exists for), so one long split does not
 * keep the other slots waiting at the end of a stage.
 */
public final class LiveRead {
  /** A read expected to end sooner than this keeps its rest: a task costs more than it would save. */
  private static final long MIN_REMAINING_NANOS = 200_000_000L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LiveRead.class);

  private BoundedSource.BoundedReader<?> reader;
  private long startNanos;

  /** The primary range the read keeps, and the residual it gave away: together, what it had left. */
  public record Split(BoundedSource<?> primary, BoundedSource<?> residual) {}

  synchronized void start(BoundedSource.BoundedReader<?> reader) {
    this.reader = reader;
    this.startNanos = System.nanoTime();
  }

  /** Before the reader closes: no split can reach it after this. */
  synchronized void end() {
    reader = null;
  }

  /**
   * Splits the unread rest of the read in half, estimating the time left from the fraction
   * consumed so far; null if the read has not started or has ended, cannot tell its progress,
   * is expected to end within {@link #MIN_REMAINING_NANOS}, or its source declines. Readers
   * allow this concurrently with their {@code advance()} (BoundedReader's contract).
   */
  public synchronized Split splitRest() {
    if (reader == null) {
      return null;
    }
    try {
      Double consumed = reader.getFractionConsumed();
      if (consumed == null || consumed <= 0 || consumed >= 1) {
        return null;
      }
      double remainingNanos = (System.nanoTime() - startNanos) * (1 - consumed) / consumed;
      if (remainingNanos < MIN_REMAINING_NANOS) {
        return null;
      }
      BoundedSource<?> residual = reader.splitAtFraction(consumed + (1 - consumed) / 2);
      return residual == null ? null : new Split(reader.getCurrentSource(), residual);
    } catch (RuntimeException e) {
      // A source that fails to split keeps reading its whole range: the job loses nothing.
      LOG.debug("splitting the rest of {} failed", reader.getCurrentSource(), e);
      return null;
    }
  }
}
