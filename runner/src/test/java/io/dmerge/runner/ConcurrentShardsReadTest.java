package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded read of an unbounded source ({@code withMaxNumRecords}, {@code withMaxReadTime}) reads
 * the shards of a task together: Beam's own read, one shard after another, spends each shard's
 * whole read time before starting the next.
 */
class ConcurrentShardsReadTest {
  private static final int SHARDS = 4;
  private static final int RECORDS_PER_SHARD = 10;
  /** Readers opened in this JVM; a reader of {@link TogetherSource} has records once all are. */
  private static final AtomicInteger OPEN = new AtomicInteger();

  @TempDir Path regions;
  @TempDir Path spill;

  @Test
  void aTaskReadsItsShardsTogether() {
    OPEN.set(0);
    // One slot, so that one task holds every shard. Read one after another, the first shard would
    // wait for the others until its read time ran out, and the job would miss its records.
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=DmergeRunner", "--parallelism=1", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
                .create());
    PCollection<Long> read =
        p.apply(
            Read.from(new TogetherSource(-1))
                .withMaxNumRecords(SHARDS * RECORDS_PER_SHARD)
                .withMaxReadTime(Duration.standardMinutes(2)));
    PAssert.that(read)
        .containsInAnyOrder(LongStream.range(0, SHARDS * RECORDS_PER_SHARD).boxed().collect(Collectors.toList()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  /**
   * Splits into {@link #SHARDS} shards (the unsplit source is shard -1); shard s has records
   * s * RECORDS_PER_SHARD onwards, which its reader gives only once every shard's reader is open.
   */
  static final class TogetherSource extends UnboundedSource<Long, UnboundedSource.CheckpointMark> {
    private final int shard;

    TogetherSource(int shard) {
      this.shard = shard;
    }

    @Override
    public List<TogetherSource> split(int desiredNumSplits, PipelineOptions options) {
      return IntStream.range(0, SHARDS).mapToObj(TogetherSource::new).collect(Collectors.toList());
    }

    @Override
    public UnboundedReader<Long> createReader(PipelineOptions options, @Nullable CheckpointMark checkpoint) {
      OPEN.incrementAndGet();
      return new UnboundedReader<>() {
        private long next = (long) shard * RECORDS_PER_SHARD;
        private @Nullable Long current;

        @Override
        public boolean start() {
          return advance();
        }

        @Override
        public boolean advance() {
          if (OPEN.get() < SHARDS) {
            return false;
          }
          current = next++;
          return true;
        }

        @Override
        public Long getCurrent() {
          if (current == null) {
            throw new NoSuchElementException();
          }
          return current;
        }

        @Override
        public Instant getCurrentTimestamp() {
          return new Instant(getCurrent());
        }

        @Override
        public Instant getWatermark() {
          return BoundedWindow.TIMESTAMP_MIN_VALUE;
        }

        @Override
        public CheckpointMark getCheckpointMark() {
          return CheckpointMark.NOOP_CHECKPOINT_MARK;
        }

        @Override
        public UnboundedSource<Long, ?> getCurrentSource() {
          return TogetherSource.this;
        }

        @Override
        public void close() {}
      };
    }

    /** None: a bounded read finalizes its checkpoints and never resumes from one. */
    @Override
    public @Nullable Coder<CheckpointMark> getCheckpointMarkCoder() {
      return null;
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }
  }
}
