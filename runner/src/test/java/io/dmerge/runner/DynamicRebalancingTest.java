package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.DmergeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.OffsetBasedSource;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A read that could not be split up front still spreads over every slot, each record read once. */
class DynamicRebalancingTest {
  private static final Set<String> THREADS = ConcurrentHashMap.newKeySet();
  /** Set: the first read that gave its rest away fails once afterwards, as a lost region would. */
  private static final AtomicBoolean FAIL_AFTER_SPLIT = new AtomicBoolean();

  @TempDir Path regions;
  @TempDir Path spill;

  /** Offsets [start, end), one slow record each; one split up front, any split once running. */
  static final class SlowRange extends OffsetBasedSource<Long> {
    SlowRange(long start, long end) {
      super(start, end, 1);
    }

    @Override
    public List<SlowRange> split(long desiredBundleSizeBytes, PipelineOptions options) {
      return List.of(this);
    }

    @Override
    public long getMaxEndOffset(PipelineOptions options) {
      return getEndOffset();
    }

    @Override
    public SlowRange createSourceForSubrange(long start, long end) {
      return new SlowRange(start, end);
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }

    @Override
    public BoundedReader<Long> createReader(PipelineOptions options) {
      return new OffsetBasedReader<>(this) {
        private long current;
        /** Where the range ended when the read began: a split moves the end closer. */
        private long initialEnd;

        @Override
        protected long getCurrentOffset() {
          return current;
        }

        @Override
        protected boolean startImpl() {
          current = getCurrentSource().getStartOffset();
          initialEnd = getCurrentSource().getEndOffset();
          return current < initialEnd;
        }

        @Override
        protected boolean advanceImpl() throws java.io.IOException {
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
          }
          current++;
          if (getCurrentSource().getEndOffset() < initialEnd && FAIL_AFTER_SPLIT.compareAndSet(true, false)) {
            throw new DmergeException("injected: a region of this attempt was lost");
          }
          return current < getCurrentSource().getEndOffset();
        }

        @Override
        public Long getCurrent() {
          return current;
        }

        @Override
        public void close() {}
      };
    }
  }

  static final class RecordThread extends DoFn<Long, Long> {
    @ProcessElement
    public void process(@Element Long n, OutputReceiver<Long> out) {
      THREADS.add(Thread.currentThread().getName());
      out.output(n);
    }
  }

  @Test
  void anIdleSlotTakesHalfTheRestOfARunningRead() {
    THREADS.clear();
    assertEquals(PipelineResult.State.DONE, runReadOf(1500));
    assertTrue(THREADS.size() >= 2, "the read ran on " + THREADS + " only: it was never split");
  }

  @Test
  void aRetriedAttemptReadsOnlyWhatItKeptAfterASplit() {
    FAIL_AFTER_SPLIT.set(true);
    assertEquals(PipelineResult.State.DONE, runReadOf(1500));
    assertFalse(FAIL_AFTER_SPLIT.get(), "no attempt failed after a split: the test did not test a retry");
  }

  /** Reads offsets [0, n) on two slots; PAssert fails the job on a record missing or read twice. */
  private PipelineResult.State runReadOf(long n) {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=DmergeRunner", "--parallelism=2", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
                .create());
    PCollection<Long> read = p.apply(Read.from(new SlowRange(0, n))).apply(ParDo.of(new RecordThread()));
    PAssert.that(read).containsInAnyOrder(LongStream.range(0, n).boxed().collect(Collectors.toList()));
    return p.run().waitUntilFinish();
  }
}
