package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads one partition's records in place; subclasses choose the order. A block's checksum is
 * verified before its first record is read, and every length field is checked against its block.
 */
abstract class PartitionCursor implements SegmentReader.RecordCursor {
  final String id;
  private final MappedRegion region;
  private final List<long[]> blocks; // {offset, length, crc}, by ordinal
  private final ByteBuffer[] verified;
  private ByteBuffer key;
  private ByteBuffer value;

  PartitionCursor(MappedRegion region, List<long[]> blocks) {
    this.id = region.meta().id();
    this.region = region;
    this.blocks = blocks;
    this.verified = new ByteBuffer[blocks.size()];
  }

  final int blockCount() {
    return blocks.size();
  }

  /** The block with this ordinal among the partition's blocks, checked against its checksum once. */
  final ByteBuffer block(int ordinal) {
    if (verified[ordinal] == null) {
      long[] b = blocks.get(ordinal);
      ByteBuffer block = region.slice(b[0], (int) b[1]).order(ByteOrder.LITTLE_ENDIAN);
      if (SegmentFormat.crc(block) != (int) b[2]) {
        throw new CorruptSegmentException(id, "block at offset " + b[0] + " fails its checksum");
      }
      verified[ordinal] = block;
    }
    return verified[ordinal];
  }

  /** Makes the record at {@code at} of {@code block} current; returns where the next one starts. */
  final int read(ByteBuffer block, int at) {
    key = field(block, at);
    at += SegmentFormat.FIELD_LENGTH_BYTES + key.remaining();
    value = field(block, at);
    return at + SegmentFormat.FIELD_LENGTH_BYTES + value.remaining();
  }

  private ByteBuffer field(ByteBuffer block, int at) {
    if (at < 0 || block.limit() - at < SegmentFormat.FIELD_LENGTH_BYTES) {
      throw new CorruptSegmentException(id, "record header cut short");
    }
    int length = block.getInt(at);
    if (length < 0 || length > block.limit() - at - SegmentFormat.FIELD_LENGTH_BYTES) {
      throw new CorruptSegmentException(id, "record field of " + length + " bytes overruns its block");
    }
    return block.slice(at + SegmentFormat.FIELD_LENGTH_BYTES, length);
  }

  @Override
  public final ByteBuffer key() {
    return key;
  }

  @Override
  public final ByteBuffer value() {
    return value;
  }
}
