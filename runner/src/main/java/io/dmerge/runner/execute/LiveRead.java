package io.dmerge.runner.execute;

import java.util.function.LongSupplier;
import org.apache.beam.sdk.io.BoundedSource;

/**
 * A task's bounded read while it runs, as the scheduler sees it: when a slot falls idle, the read
 * can give the unread half of its range to a new task (dynamic work rebalancing, which Beam's
 * {@link BoundedSource.BoundedReader#splitAtFraction} exists for), so one long split does not
 * keep the other slots waiting at the end of a stage.
 */
public final class LiveRead {
  /**
   * A read expected to end sooner than this keeps its rest: a new task, and one more segment for
   * every consumer to merge, would cost about as much as the at most half of it that it saves.
   */
  private static final long MIN_REMAINING_NANOS = 1_000_000_000L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LiveRead.class);

  private final LongSupplier nanoClock;
  private BoundedSource.BoundedReader<?> reader;
  /** The progress seen at the first request for a split, from which later requests measure the rate. */
  private long baselineNanos;
  private double baselineConsumed = Double.NaN;

  /** The primary range the read keeps, and the residual it gave away: together, what it had left. */
  public record Split(BoundedSource<?> primary, BoundedSource<?> residual) {}

  public LiveRead() {
    this(System::nanoTime);
  }

  LiveRead(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  synchronized void start(BoundedSource.BoundedReader<?> reader) {
    this.reader = reader;
    this.baselineConsumed = Double.NaN;
  }

  /** Before the reader closes: no split can reach it after this. */
  synchronized void end() {
    reader = null;
  }

  /**
   * Splits the unread rest of the read in half if it is expected to last at least {@link
   * #MIN_REMAINING_NANOS} more; null if the read has not started or has ended, cannot tell its
   * progress, or its source declines. The time left is estimated from the progress made since the
   * first request, never from the read's start: a task's first records pay for cold code (class
   * loading, code generation, a new worker JVM) and would make a short read look long. So the
   * first request only takes that baseline, and a read that has made no progress since is not
   * split. Readers allow this concurrently with their {@code advance()} (BoundedReader's contract).
   */
  public synchronized Split splitRest() {
    if (reader == null) {
      return null;
    }
    try {
      Double consumed = reader.getFractionConsumed();
      if (consumed == null || consumed < 0 || consumed >= 1) {
        return null;
      }
      long now = nanoClock.getAsLong();
      if (Double.isNaN(baselineConsumed)) {
        baselineNanos = now;
        baselineConsumed = consumed;
        return null;
      }
      double progress = consumed - baselineConsumed;
      if (progress <= 0 || (now - baselineNanos) * (1 - consumed) / progress < MIN_REMAINING_NANOS) {
        return null;
      }
      BoundedSource<?> residual = reader.splitAtFraction(consumed + (1 - consumed) / 2);
      if (residual == null) {
        return null;
      }
      // What is left is now measured against the primary's range.
      baselineConsumed = Double.NaN;
      return new Split(reader.getCurrentSource(), residual);
    } catch (RuntimeException e) {
      // A source that fails to split keeps reading its whole range: the job loses nothing.
      LOG.debug("splitting the rest of {} failed", reader.getCurrentSource(), e);
      return null;
    }
  }
}
