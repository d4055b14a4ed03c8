package io.dmerge.bench.control;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The numbers {@code [0, shards * perShard)} in a fixed number of splits, whatever bundle size the
 * runner asks for: the runner makes one task per split, so this sets the task count.
 */
final class ShardedSource extends BoundedSource<Long> {
  private final int firstShard;
  private final int shards;
  private final int perShard;

  ShardedSource(int firstShard, int shards, int perShard) {
    this.firstShard = firstShard;
    this.shards = shards;
    this.perShard = perShard;
  }

  @Override
  public List<ShardedSource> split(long desiredBundleSizeBytes, PipelineOptions options) {
    List<ShardedSource> out = new ArrayList<>();
    for (int s = firstShard; s < firstShard + shards; s++) {
      out.add(new ShardedSource(s, 1, perShard));
    }
    return out;
  }

  @Override
  public long getEstimatedSizeBytes(PipelineOptions options) {
    return 8L * shards * perShard;
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  @Override
  public BoundedReader<Long> createReader(PipelineOptions options) {
    return new BoundedReader<>() {
      private long next = (long) firstShard * perShard - 1;
      private final long end = (long) (firstShard + shards) * perShard;

      @Override
      public boolean start() {
        return advance();
      }

      @Override
      public boolean advance() {
        return ++next < end;
      }

      @Override
      public Long getCurrent() {
        if (next >= end) {
          throw new NoSuchElementException();
        }
        return next;
      }

      @Override
      public void close() {}

      @Override
      public BoundedSource<Long> getCurrentSource() {
        return ShardedSource.this;
      }
    };
  }
}
