package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.util.List;

/** A partition's records in write order: its blocks in footer order, each block's records back to back. */
final class WriteOrderCursor extends PartitionCursor {
  private int ordinal = -1;
  private ByteBuffer block;
  private int at;

  WriteOrderCursor(MappedRegion region, List<long[]> blocks) {
    super(region, blocks);
  }

  @Override
  public boolean next() {
    while (block == null || at == block.limit()) {
      if (ordinal + 1 == blockCount()) {
        return false;
      }
      block = block(++ordinal);
      at = 0;
    }
    at = read(block, at);
    return true;
  }
}
