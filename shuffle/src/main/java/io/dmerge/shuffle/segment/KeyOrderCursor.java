package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** A partition's records in the order of its (already verified) key-order index. */
final class KeyOrderCursor extends PartitionCursor implements SegmentReader.ReplayableCursor {
  /** All of the partition's index entries, little endian; {@code index} walks a stretch of them. */
  private final ByteBuffer entries;
  private final ByteBuffer index;

  /** {@code entries}: little endian, position at the first. */
  KeyOrderCursor(MappedRegion region, List<long[]> blocks, ByteBuffer entries) {
    super(region, blocks);
    this.entries = entries;
    this.index = entries.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  private KeyOrderCursor(KeyOrderCursor of, int from, int to) {
    super(of);
    this.entries = of.entries;
    this.index =
        entries.duplicate().order(ByteOrder.LITTLE_ENDIAN)
            .limit(to * SegmentFormat.INDEX_ENTRY_BYTES).position(from * SegmentFormat.INDEX_ENTRY_BYTES);
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

  @Override
  public int entry() {
    return index.position() / SegmentFormat.INDEX_ENTRY_BYTES - 1;
  }

  @Override
  public SegmentReader.RecordCursor replay(int from, int to) {
    int count = entries.limit() / SegmentFormat.INDEX_ENTRY_BYTES;
    if (from < 0 || from > to || to > count) {
      throw new IndexOutOfBoundsException("entries [" + from + ", " + to + ") of " + count);
    }
    return new KeyOrderCursor(this, from, to);
  }
}
