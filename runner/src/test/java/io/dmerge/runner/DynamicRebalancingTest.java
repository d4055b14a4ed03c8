package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

        @Override
        protected long getCurrentOffset() {
          return current;
        }

        @Override
        protected boolean startImpl() {
          current = getCurrentSource().getStartOffset();
          return current < getCurrentSource().getEndOffset();
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
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=DmergeRunner", "--parallelism=2", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
                .create());
    PCollection<Long> read = p.apply(Read.from(new SlowRange(0, 1500))).apply(ParDo.of(new RecordThread()));
    PAssert.that(read).containsInAnyOrder(LongStream.range(0, 1500).boxed().collect(Collectors.toList()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertTrue(THREADS.size() >= 2, "the read ran on " + THREADS + " only: it was never split");
  }
}
