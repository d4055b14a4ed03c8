package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.DmergeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A read that could not be split up front still spreads over every slot, each record read once,
 * with tasks in this JVM and in worker processes (and on pods: KubernetesExecutorTest).
 */
public class DynamicRebalancingTest {
  @TempDir Path regions;
  @TempDir Path spill;
  @TempDir Path markers;

  /**
   * Offsets [start, end), one slow record each; one split up front, any split once running. While
   * the file {@code failAfterSplit} exists, the first read that gave its rest away deletes it and
   * fails, as a lost region would (a file, so that it happens once over all worker processes).
   */
  static final class SlowRange extends OffsetBasedSource<Long> {
    private final String failAfterSplit;

    SlowRange(long start, long end, String failAfterSplit) {
      super(start, end, 1);
      this.failAfterSplit = failAfterSplit;
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
      return new SlowRange(start, end, failAfterSplit);
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
          if (getCurrentSource().getEndOffset() < initialEnd && Files.deleteIfExists(Path.of(failAfterSplit))) {
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

  /** Where a record was read: the process and thread. */
  static final class ReadBy extends DoFn<Long, String> {
    @ProcessElement
    public void process(OutputReceiver<String> out) {
      out.output(ProcessHandle.current().pid() + "/" + Thread.currentThread().getName());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"inprocess", "process"})
  void anIdleSlotTakesHalfTheRestOfARunningRead(String executor) {
    assertEquals(PipelineResult.State.DONE, runReadOf(2500, executor, false));
  }

  @ParameterizedTest
  @ValueSource(strings = {"inprocess", "process"})
  void aRetriedAttemptReadsOnlyWhatItKeptAfterASplit(String executor) {
    assertEquals(PipelineResult.State.DONE, runReadOf(2500, executor, true));
    assertFalse(Files.exists(markers.resolve("fail-after-split")), "no attempt failed after a split: the test did not test a retry");
  }

  /** Runs {@link #readAcrossSlots} of [0, n) on two slots of {@code executor}. */
  private PipelineResult.State runReadOf(long n, String executor, boolean failAfterSplit) {
    Path marker = markers.resolve("fail-after-split");
    if (failAfterSplit) {
      assertDoesNotThrow(() -> Files.createFile(marker));
    }
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=DmergeRunner", "--executor=" + executor, "--parallelism=2",
                    "--regionDirectory=" + regions, "--spillDirectory=" + spill)
                .create());
    readAcrossSlots(p, n, marker);
    return p.run().waitUntilFinish();
  }

  /**
   * Adds to {@code p} a read of offsets [0, n) that cannot be split up front, and PAsserts that fail
   * the job on a record missing or read twice, or on a read that stayed in one thread (it was never
   * split). While {@code failAfterSplit} exists, the first attempt that gave its rest away fails once.
   */
  public static void readAcrossSlots(Pipeline p, long n, Path failAfterSplit) {
    PCollection<Long> read = p.apply(Read.from(new SlowRange(0, n, failAfterSplit.toString())));
    PAssert.that(read).containsInAnyOrder(LongStream.range(0, n).boxed().collect(Collectors.toList()));
    PAssert.that(read.apply(ParDo.of(new ReadBy())).apply(Distinct.create()).apply(Count.globally()))
        .satisfies(
            readers -> {
              long count = readers.iterator().next();
              assertTrue(count >= 2, "the read ran in " + count + " thread(s): it was never split");
              return null;
            });
  }
}
