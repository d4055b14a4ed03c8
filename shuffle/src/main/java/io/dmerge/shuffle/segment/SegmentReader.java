package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.MappedRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a segment from a mapped region in place. The header and footer are verified when the
 * reader opens; each block's checksum is verified before its first record is handed out, and a
 * key-order index before its first entry is used, so a corrupted or truncated segment fails loudly
 * instead of yielding wrong records.
 */
public final class SegmentReader {
  private final MappedRegion region;
  private final int partitions;
  private final long records;
  private final List<List<long[]>> blocksByPartition = new ArrayList<>(); // {offset, length, crc}
  private final long[][] indexes; // per partition {offset, entries, crc}; empty when not sorted

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
    if (partitions <= 0 || footerBytes < 8) {
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
    if (count < 0 || 8 + (long) count * SegmentFormat.BLOCK_ENTRY_BYTES > footerBytes) {
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
    int indexCount = footer.getInt();
    if ((indexCount != 0 && indexCount != partitions)
        || footer.remaining() != (long) indexCount * SegmentFormat.INDEX_TABLE_ENTRY_BYTES) {
      throw new CorruptSegmentException(id, "footer of " + footerBytes + " bytes cannot hold " + indexCount + " indexes");
    }
    this.indexes = new long[indexCount][];
    long indexed = 0;
    for (int p = 0; p < indexCount; p++) {
      long offset = footer.getLong();
      int entries = footer.getInt();
      int crc = footer.getInt();
      long bytes = (long) entries * SegmentFormat.INDEX_ENTRY_BYTES;
      if (entries < 0 || bytes > Integer.MAX_VALUE
          || (entries > 0 && (offset < SegmentFormat.HEADER_BYTES || offset + bytes > footerOffset))) {
        throw new CorruptSegmentException(id, "index of partition " + p + " is out of range");
      }
      indexes[p] = new long[] {offset, entries, crc};
      indexed += entries;
    }
    if (indexCount > 0 && indexed != records) {
      throw new CorruptSegmentException(id, "indexes hold " + indexed + " records, the header counts " + records);
    }
  }

  public int partitions() {
    return partitions;
  }

  /** Records in all partitions, as the producer counted them. */
  public long records() {
    return records;
  }

  /** Whether every partition has a key-order index, that is, {@link #partitionInKeyOrder} works. */
  public boolean sorted() {
    return indexes.length > 0;
  }

  /** A cursor over the records of one partition in write order, reading straight from the mapped pages. */
  public RecordCursor partition(int partition) {
    return new WriteOrderCursor(region, blocksByPartition.get(partition));
  }

  /**
   * A cursor over the records of one partition in {@link KeyOrder}, equal keys in write order.
   * Verifies the partition's index first.
   *
   * @throws IllegalStateException if the segment was written unsorted
   */
  public ReplayableCursor partitionInKeyOrder(int partition) {
    if (!sorted()) {
      throw new IllegalStateException("segment in region " + region.meta().id() + " was written without indexes");
    }
    long[] index = indexes[partition];
    ByteBuffer entries =
        region.slice(index[0], (int) index[1] * SegmentFormat.INDEX_ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    if (SegmentFormat.crc(entries) != (int) index[2]) {
      throw new CorruptSegmentException(region.meta().id(), "index of partition " + partition + " fails its checksum");
    }
    return new KeyOrderCursor(region, blocksByPartition.get(partition), entries);
  }

  /** Iterates records; {@link #key()} and {@link #value()} are views into the mapped region. */
  public interface RecordCursor {
    /** Advances to the next record; false at the end of the partition. */
    boolean next();

    /** The current record's key bytes: a new view on each call, valid until the region is unmapped. */
    ByteBuffer key();

    /** The current record's value bytes: a new view on each call, valid until the region is unmapped. */
    ByteBuffer value();
  }

  /**
   * A cursor in key order whose stretches can be read again, so that a consumer can hand out a
   * key's records as often as it is asked for them without holding them.
   */
  public interface ReplayableCursor extends RecordCursor {
    /** The current record's place in key order: its entry number in the partition's index. */
    int entry();

    /** A new cursor over the index entries [from, to) of the same partition. */
    RecordCursor replay(int from, int to);
  }
}
