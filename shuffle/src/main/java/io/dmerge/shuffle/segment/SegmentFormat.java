package io.dmerge.shuffle.segment;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Layout of a segment, the content of one shuffle region (shuffle/README.md, "Segment format").
 *
 * <pre>
 * offset 0   header (64 bytes): magic "DMRGSEG1", version, partition count,
 *            footer offset and length, footer CRC32C, record count, header CRC32C
 * ...        blocks: runs of records, each block holding records of one partition
 * ...        sorted segments only: one key-order index per non-empty partition
 * footer     block count, then per block: partition, offset, length, CRC32C of its bytes;
 *            index count (0, or one per partition), then per partition: index offset,
 *            entry count, CRC32C of the index
 * record     int32 key length, key bytes, int32 value length, value bytes (little endian)
 * index      per record, in key order: int32 offset in its block, int32 block ordinal
 *            (the block's place among its partition's blocks in the footer)
 * </pre>
 *
 * Keys are encoded with a deterministic coder, so grouping compares key bytes and never decodes.
 */
public final class SegmentFormat {
  static final long MAGIC = 0x31474553_47524D44L; // "DMRGSEG1" read little endian
  static final int VERSION = 2;
  static final int HEADER_BYTES = 64;
  static final int BLOCK_ENTRY_BYTES = 20;
  static final int INDEX_TABLE_ENTRY_BYTES = 16;
  static final int INDEX_ENTRY_BYTES = 8;
  static final int FIELD_LENGTH_BYTES = 4;

  private SegmentFormat() {}

  static int crc(ByteBuffer bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes.duplicate());
    return (int) crc.getValue();
  }

  /** An index entry: where a record starts, as {@code ordinal << 32 | offset} (little endian on disk). */
  static long position(int blockOrdinal, int offset) {
    return (long) blockOrdinal << 32 | offset;
  }

  static int blockOrdinal(long position) {
    return (int) (position >>> 32);
  }

  static int offset(long position) {
    return (int) position;
  }
}
