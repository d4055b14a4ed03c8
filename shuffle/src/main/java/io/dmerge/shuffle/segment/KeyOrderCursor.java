package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.util.List;

/** A partition's records in the order of its (already verified) key-order index. */
final class KeyOrderCursor extends PartitionCursor {
  private final ByteBuffer index;

  /** {@code index}: little endian entries, position at the first. */
  KeyOrderCursor(MappedRegion region, List<long[]> blocks, ByteBuffer index) {
    super(region, blocks);
    this.index = index;
  }

  @Override
  public boolean next() {
    if (!index.hasRemaining()) {
      return false;
    }
    long position = index.getLong();
    int ordinal = SegmentFormat.blockOrdinal(position);
    if (ordinal < 0 || ordinal >= blockCount()) {
      throw new CorruptSegmentException(id, "index entry names block " + ordinal + " of " + blockCount());
    }
    read(ordinal, SegmentFormat.offset(position));
    return true;
  }
}
