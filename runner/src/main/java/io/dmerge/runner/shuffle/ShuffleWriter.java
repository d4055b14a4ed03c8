package io.dmerge.runner.shuffle;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.segment.SegmentWriter;
import java.io.IOException;
import org.apache.beam.sdk.coders.Coder;

/**
 * Where a task's shuffle output is written: records go, encoded once, straight into one Dmerge
 * region per task and boundary, partitioned by the hash of the encoded key (encoded
 * with a deterministic coder, see {@link KeyBytes}). A sorted writer also indexes each partition
 * in key order, so that consumers can merge instead of building a hash table. {@link #finish()}
 * registers the region under a fresh access key.
 */
public final class ShuffleWriter<V> implements AutoCloseable {
  private final Dmerge dmerge;
  private final String regionId;
  private final Coder<V> valueCoder;
  private final int partitions;
  private final int blockBytes;
  private final boolean sorted;
  private RegionBuffer region;
  private SegmentWriter segment;
  private int roundRobin;

  public ShuffleWriter(Dmerge dmerge, String regionId, Coder<V> valueCoder, int partitions, int blockBytes, boolean sorted) {
    this.dmerge = dmerge;
    this.regionId = regionId;
    this.valueCoder = valueCoder;
    this.partitions = partitions;
    this.blockBytes = blockBytes;
    this.sorted = sorted;
  }

  /** Writes a keyed record whose key is already encoded. */
  public void write(byte[] key, V value) throws IOException {
    SegmentWriter w = segment();
    w.startRecord(Partitioning.partition(key, partitions));
    w.stream().write(key);
    w.endKey();
    valueCoder.encode(value, w.stream());
    w.endRecord();
  }

  /** Writes an unkeyed record, spreading records over partitions in turn. */
  public void writeUnkeyed(V value) throws IOException {
    SegmentWriter w = segment();
    w.startRecord(roundRobin);
    roundRobin = (roundRobin + 1) % partitions;
    w.endKey();
    valueCoder.encode(value, w.stream());
    w.endRecord();
  }

  private SegmentWriter segment() {
    if (segment == null) {
      region = dmerge.allocate(regionId);
      segment = new SegmentWriter(region, partitions, blockBytes, sorted);
    }
    return segment;
  }

  /** Registers the written region; null when the task wrote nothing. */
  public RegionRef finish() {
    if (segment == null) {
      return null;
    }
    segment.finish();
    AccessKey key = AccessKey.random();
    RegionRef ref = new RegionRef(dmerge.register(region, key), key);
    segment = null;
    region = null;
    return ref;
  }

  /** Discards an unregistered region after a failure. */
  @Override
  public void close() {
    if (region != null) {
      region.close();
    }
  }
}
