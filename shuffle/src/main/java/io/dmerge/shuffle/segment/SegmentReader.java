package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a segment from a mapped region in place. The header and footer are verified when the
 * reader opens; each block's checksum is verified before its first record is handed out, so a
 * corrupted or truncated segment fails loudly instead of yielding wrong records.
 */
public final class SegmentReader {
  private final MappedRegion region;
  private final int partitions;
  private final long records;
  private final List<List<long[]>> blocksByPartition = new ArrayList<>(); // {offset, length, crc}

  public SegmentReader(MappedRegion region) {
    this.region = region;
    String id = region.meta().id();
    if (region.size() < SegmentFormat.HEADER_BYTES) {
      throw new CorruptSegmentException(id, "only " + region.size() + " bytes, shorter than the header");
    }
    ByteBuffer header = region.slice(0, SegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    if (header.getLong(0) != SegmentFormat.MAGIC) {
      throw new CorruptSegmentException(id, "bad magic number");
    }
    if (SegmentFormat.crc(header.duplicate().limit(40)) != header.getInt(40)) {
      throw new CorruptSegmentException(id, "header checksum mismatch");
    }
    int version = header.getInt(8);
    if (version != SegmentFormat.VERSION) {
      throw new CorruptSegmentException(id, "unsupported format version " + version);
    }
    this.partitions = header.getInt(12);
    long footerOffset = header.getLong(16);
    int footerBytes = header.getInt(24);
    int footerCrc = header.getInt(28);
    this.records = header.getLong(32);
    if (partitions <= 0 || footerBytes < 4) {
      throw new CorruptSegmentException(id, "header names " + partitions + " partitions and a " + footerBytes + "-byte footer");
    }
    if (footerOffset < SegmentFormat.HEADER_BYTES || footerOffset + footerBytes > region.size()) {
      throw new CorruptSegmentException(id, "truncated: footer at " + footerOffset + " beyond " + region.size() + " bytes");
    }
    ByteBuffer footer = region.slice(footerOffset, footerBytes).order(ByteOrder.LITTLE_ENDIAN);
    if (SegmentFormat.crc(footer) != footerCrc) {
      throw new CorruptSegmentException(id, "footer checksum mismatch");
    }
    for (int p = 0; p < partitions; p++) {
      blocksByPartition.add(new ArrayList<>());
    }
    int count = footer.getInt();
    if (count < 0 || (long) count * SegmentFormat.BLOCK_ENTRY_BYTES + 4 != footerBytes) {
      throw new CorruptSegmentException(id, "footer of " + footerBytes + " bytes cannot hold " + count + " blocks");
    }
    for (int i = 0; i < count; i++) {
      int partition = footer.getInt();
      long offset = footer.getLong();
      int length = footer.getInt();
      int crc = footer.getInt();
      if (partition < 0 || partition >= partitions || offset < SegmentFormat.HEADER_BYTES || length <= 0
          || offset + length > footerOffset) {
        throw new CorruptSegmentException(id, "block table entry " + i + " is out of range");
      }
      blocksByPartition.get(partition).add(new long[] {offset, length, crc});
    }
  }

  public int partitions() {
    return partitions;
  }

  /** Records in all partitions, as the producer counted them. */
  public long records() {
    return records;
  }

  /** A cursor over the records of one partition, reading straight from the mapped pages. */
  public RecordCursor partition(int partition) {
    return new RecordCursor(region.meta().id(), region, blocksByPartition.get(partition));
  }

  /** Iterates records; {@link #key()} and {@link #value()} are views into the mapped region. */
  public static final class RecordCursor {
    private final String id;
    private final MappedRegion region;
    private final List<long[]> blocks;
    private int nextBlock;
    private ByteBuffer block;
    private ByteBuffer keyView;
    private ByteBuffer valueView;

    RecordCursor(String id, MappedRegion region, List<long[]> blocks) {
      this.id = id;
      this.region = region;
      this.blocks = blocks;
    }

    /** Advances to the next record; false at the end of the partition. */
    public boolean next() {
      while (block == null || !block.hasRemaining()) {
        if (nextBlock == blocks.size()) {
          return false;
        }
        long[] b = blocks.get(nextBlock++);
        block = region.slice(b[0], (int) b[1]).order(ByteOrder.LITTLE_ENDIAN);
        if (SegmentFormat.crc(block) != (int) b[2]) {
          throw new CorruptSegmentException(id, "block at offset " + b[0] + " fails its checksum");
        }
      }
      keyView = field();
      valueView = field();
      return true;
    }

    private ByteBuffer field() {
      if (block.remaining() < SegmentFormat.FIELD_LENGTH_BYTES) {
        throw new CorruptSegmentException(id, "record header cut short");
      }
      int length = block.getInt();
      if (length < 0 || length > block.remaining()) {
        throw new CorruptSegmentException(id, "record field of " + length + " bytes overruns its block");
      }
      ByteBuffer field = block.slice(block.position(), length);
      block.position(block.position() + length);
      return field;
    }

    /** The current record's key bytes (a view; valid until the region is unmapped). */
    public ByteBuffer key() {
      return keyView;
    }

    /** The current record's value bytes (a view; valid until the region is unmapped). */
    public ByteBuffer value() {
      return valueView;
    }
  }
}
