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
  // The current record as numbers, not as views: storing a fresh object into a long-lived cursor
  // on every record costs a GC write barrier each time (7x slower reads of 1 KiB records under G1).
  private int ordinal = -1;
  private int keyAt;
  private int keyLength;
  private int valueAt;
  private int valueLength;

  PartitionCursor(MappedRegion region, List<long[]> blocks) {
    this.id = region.meta().id();
    this.region = region;
    this.blocks = blocks;
    this.verified = new ByteBuffer[blocks.size()];
  }

  /** Another cursor over the same partition, sharing the blocks already verified. */
  PartitionCursor(PartitionCursor of) {
    this.id = of.id;
    this.region = of.region;
    this.blocks = of.blocks;
    this.verified = of.verified;
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

  /** Makes the record at {@code at} of block {@code ordinal} current; returns where the next one starts. */
  final int read(int ordinal, int at) {
    ByteBuffer block = block(ordinal);
    this.ordinal = ordinal;
    keyLength = fieldLength(block, at);
    keyAt = at + SegmentFormat.FIELD_LENGTH_BYTES;
    valueLength = fieldLength(block, keyAt + keyLength);
    valueAt = keyAt + keyLength + SegmentFormat.FIELD_LENGTH_BYTES;
    return valueAt + valueLength;
  }

  private int fieldLength(ByteBuffer block, int at) {
    if (at < 0 || block.limit() - at < SegmentFormat.FIELD_LENGTH_BYTES) {
      throw new CorruptSegmentException(id, "record header cut short");
    }
    int length = block.getInt(at);
    if (length < 0 || length > block.limit() - at - SegmentFormat.FIELD_LENGTH_BYTES) {
      throw new CorruptSegmentException(id, "record field of " + length + " bytes overruns its block");
    }
    return length;
  }

  /** A new view of the current record's key on every call. */
  @Override
  public final ByteBuffer key() {
    return verified[ordinal].slice(keyAt, keyLength);
  }

  /** A new view of the current record's value on every call. */
  @Override
  public final ByteBuffer value() {
    return verified[ordinal].slice(valueAt, valueLength);
  }
}
