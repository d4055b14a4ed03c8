package io.dmerge.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
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
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.Uninterruptibles;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded read of an unbounded source ({@code withMaxNumRecords}, {@code withMaxReadTime}) reads
 * the shards of a task together, each on its own thread: Beam's own read, one shard after another,
 * spends each shard's whole read time before starting the next.
 */
class ConcurrentShardsReadTest {
  private static final int SHARDS = 4;
  private static final int RECORDS_PER_SHARD = 10;
  private static final long BLOCK_MILLIS = 4000;
  /** Readers opened in this JVM; with {@link Shards#OPEN_TOGETHER}, a reader has records once all are. */
  private static final AtomicInteger OPEN = new AtomicInteger();
  private static final Counter RECORDS = Metrics.counter(ConcurrentShardsReadTest.class, "records");

  @TempDir Path regions;
  @TempDir Path spill;

  @Test
  void aTaskReadsItsShardsTogether() {
    OPEN.set(0);
    // One slot, so that one task holds every shard. Read one after another, the first shard would
    // wait for the others until its read time ran out, and the job would miss its records.
    Pipeline p = pipeline();
    PCollection<Long> read =
        p.apply(
            Read.from(new ShardedSource(-1, Shards.OPEN_TOGETHER))
                .withMaxNumRecords(SHARDS * RECORDS_PER_SHARD)
                .withMaxReadTime(Duration.standardMinutes(2)));
    PAssert.that(read)
        .containsInAnyOrder(LongStream.range(0, SHARDS * RECORDS_PER_SHARD).boxed().collect(Collectors.toList()));
    PipelineResult result = p.run();
    assertEquals(PipelineResult.State.DONE, result.waitUntilFinish());
    // What the readers counted, on their own threads, reaches the job's metrics.
    long counted = 0;
    for (MetricResult<Long> c :
        result.metrics().queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named(ConcurrentShardsReadTest.class, "records")).build()).getCounters()) {
      counted += c.getAttempted();
    }
    assertTrue(counted >= SHARDS * RECORDS_PER_SHARD, "readers counted " + counted + " records");
  }

  @Test
  void aShardWhoseReaderBlocksDoesNotHoldUpTheOthers() {
    // Shard 0's reader blocks for longer than the read time; polled in turn on one thread, the
    // other shards would have read one record each by then.
    Pipeline p = pipeline();
    PCollection<Long> read =
        p.apply(
            Read.from(new ShardedSource(-1, Shards.FIRST_BLOCKS))
                .withMaxNumRecords(SHARDS * RECORDS_PER_SHARD)
                .withMaxReadTime(Duration.millis(BLOCK_MILLIS / 2)));
    PAssert.that(read)
        .containsInAnyOrder(LongStream.range(RECORDS_PER_SHARD, SHARDS * RECORDS_PER_SHARD).boxed().collect(Collectors.toList()));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  /** One slot, so that one task holds every shard. */
  private Pipeline pipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(
                "--runner=DmergeRunner", "--parallelism=1", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
            .create());
  }

  /** How the shards of a {@link ShardedSource} give their records. */
  enum Shards {
    /** Only once every shard's reader is open. */
    OPEN_TOGETHER,
    /** At once, but shard 0's reader blocks for {@link #BLOCK_MILLIS} and has none. */
    FIRST_BLOCKS
  }

  /**
   * Splits into {@link #SHARDS} shards (the unsplit source is shard -1); shard s has records
   * s * RECORDS_PER_SHARD onwards, which its reader gives as {@link Shards} says.
   */
  static final class ShardedSource extends UnboundedSource<Long, UnboundedSource.CheckpointMark> {
    private final int shard;
    private final Shards shards;

    ShardedSource(int shard, Shards shards) {
      this.shard = shard;
      this.shards = shards;
    }

    @Override
    public List<ShardedSource> split(int desiredNumSplits, PipelineOptions options) {
      return IntStream.range(0, SHARDS).mapToObj(s -> new ShardedSource(s, shards)).collect(Collectors.toList());
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
          if (shards == Shards.OPEN_TOGETHER && OPEN.get() < SHARDS) {
            return false;
          }
          if (shards == Shards.FIRST_BLOCKS && shard == 0) {
            Uninterruptibles.sleepUninterruptibly(BLOCK_MILLIS, TimeUnit.MILLISECONDS);
            return false;
          }
          current = next++;
          RECORDS.inc();
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
          return ShardedSource.this;
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
