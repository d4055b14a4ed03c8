package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.util.List;

/** A partition's records in write order: its blocks in footer order, each block's records back to back. */
final class WriteOrderCursor extends PartitionCursor {
  private int ordinal = -1;
  private int end; // the current block's length
  private int at;

  WriteOrderCursor(MappedRegion region, List<long[]> blocks) {
    super(region, blocks);
  }

  @Override
  public boolean next() {
    while (ordinal < 0 || at == end) {
      if (ordinal + 1 == blockCount()) {
        return false;
      }
      end = block(++ordinal).limit();
      at = 0;
    }
    at = read(ordinal, at);
    return true;
  }
}
