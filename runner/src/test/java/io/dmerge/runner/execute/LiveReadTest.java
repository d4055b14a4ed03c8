package io.dmerge.runner.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.io.OffsetBasedSource;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** When a running read gives half of its rest away: only if what is left takes long, at its current pace. */
class LiveReadTest {
  private long nanos;
  private final LiveRead live = new LiveRead(() -> nanos);
  private final BoundedSource.BoundedReader<Long> reader = startedReadOf(1000);

  @Test
  void theFirstRequestOnlyMeasuresFromWhereTheReadIs() throws IOException {
    advanceTo(100, 5_000);
    assertNull(live.splitRest());
  }

  @Test
  void aReadThatWasSlowOnlyWhileItsCodeWasColdKeepsItsRest() throws IOException {
    // 5 s for the first tenth, as a new worker JVM might take: from its start, 45 s would be left.
    advanceTo(100, 5_000);
    assertNull(live.splitRest());
    // At its pace since then, 0.1 s for the next half: 80 ms left.
    advanceTo(600, 5_100);
    assertNull(live.splitRest());
  }

  @Test
  void aReadThatMadeNoProgressSinceItWasFirstAskedKeepsItsRest() throws IOException {
    advanceTo(100, 100);
    assertNull(live.splitRest());
    advanceTo(100, 10_100);
    assertNull(live.splitRest());
  }

  @Test
  void aReadWithMoreThanASecondLeftGivesAwayHalfOfItsRest() throws IOException {
    advanceTo(100, 100);
    assertNull(live.splitRest());
    // A tenth in 0.5 s: 4 s left.
    advanceTo(200, 600);
    LiveRead.Split split = live.splitRest();
    assertNotNull(split);
    assertEquals(600, ((OffsetBasedSource<?>) split.residual()).getStartOffset());
    assertEquals(1000, ((OffsetBasedSource<?>) split.residual()).getEndOffset());
    assertEquals(600, ((OffsetBasedSource<?>) split.primary()).getEndOffset());
    // The primary's pace is measured afresh.
    advanceTo(300, 700);
    assertNull(live.splitRest());
  }

  @Test
  void anEndedReadIsNotSplit() throws IOException {
    advanceTo(100, 100);
    assertNull(live.splitRest());
    live.end();
    advanceTo(200, 600);
    assertNull(live.splitRest());
  }

  private BoundedSource.BoundedReader<Long> startedReadOf(long n) {
    try {
      BoundedSource.BoundedReader<Long> r = CountingSource.upTo(n).createReader(PipelineOptionsFactory.create());
      r.start();
      live.start(r);
      return r;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads up to record {@code index}, by {@code millis} on the clock. */
  private void advanceTo(long index, long millis) throws IOException {
    while (reader.getCurrent() < index) {
      reader.advance();
    }
    nanos = TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
