package io.dmerge.shuffle.segment;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Layout of a segment, the content of one shuffle region.
 *
 * <pre>
 * offset 0   header (64 bytes): magic "DMRGSEG1", version, partition count,
 *            footer offset and length, footer CRC32C, header CRC32C
 * ...        blocks: runs of records, each block holding records of one partition
 * footer     block count, then per block: partition, offset, length, CRC32C of its bytes
 * record     int32 key length, key bytes, int32 value length, value bytes (little endian)
 * </pre>
 *
 * Keys are encoded with a deterministic coder, so grouping compares key bytes and never decodes.
 */
public final class SegmentFormat {
  static final long MAGIC = 0x31474553_47524D44L; // "DMRGSEG1" read little endian
  static final int VERSION = 1;
  static final int HEADER_BYTES = 64;
  static final int BLOCK_ENTRY_BYTES = 20;
  static final int FIELD_LENGTH_BYTES = 4;

  private SegmentFormat() {}

  static int crc(ByteBuffer bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes.duplicate());
    return (int) crc.getValue();
  }
}
