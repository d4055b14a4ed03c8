package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.RawMemory;
import io.dmerge.shuffle.RegionBuffer;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Writes partitioned records straight into a region's mapped pages: the one serialization a
 * shuffle costs, with no staging buffer. Each partition fills its own current block; a record that
 * does not fit moves, once, to a fresh block large enough for it.
 *
 * <p>A sorted writer also gives each partition an index of its records in key order, built by
 * {@link #finish()}: the records stay where they were written, only their positions are sorted.
 *
 * <p>Usage per record: {@link #startRecord(int)}, encode the key into {@link #stream()}, {@link
 * #endKey()}, encode the value, {@link #endRecord()}. Not thread-safe.
 */
public final class SegmentWriter {
  /**
   * Added to every block's size. Blocks of a power-of-two size would start at the same offset in
   * their pages, so the partitions' write positions would crowd into a few cache sets and evict
   * each other (measured: 47 ns a record at 64 KiB blocks, 30 ns with this padding): five cache
   * lines make 64 successive blocks start at 64 different line offsets of a page.
   */
  static final int BLOCK_STAGGER_BYTES = 5 * 64;

  /**
   * A block's checksum is summed in runs of at least this many bytes of finished records, while
   * they are still in the cache: summed only when the block closed, after the other partitions'
   * writes had evicted it, the CRC32C ran at half its in-cache speed (writer of 16 KiB records 16%
   * slower). Shorter runs pay the checksum's per-call cost.
   */
  static final int CHECKSUM_RUN_BYTES = 4096;

  private final RegionBuffer region;
  private final int partitions;
  private final int blockBytes;
  private final boolean sorted;
  // Per partition, its open block: the mapped view (null when none is open), region offset,
  // address, capacity and bytes used by finished records.
  private final ByteBuffer[] openView;
  private final long[] openOffset;
  private final long[] openAddress;
  private final int[] openCapacity;
  private final int[] openFill;
  private final long[] recordsIn; // per partition: the size of its index
  // Per partition, the open block's checksum so far and how many of its bytes it covers.
  private final CRC32C[] openCrc;
  private final int[] openSummed;
  private final List<ClosedBlock> closedBlocks = new ArrayList<>();
  private final long headerOffset;
  private final RecordStream stream = new RecordStream();
  // The record being written, all primitives: in the block at `address` of partition `writing`,
  // it starts at `recordStart`, its current field's length goes at `fieldStart`, the next byte at
  // `position`. (A reference stored into this long-lived writer per record would cost a GC write
  // barrier each time.)
  private int writing = -1;
  private long address;
  private int capacity;
  private int position;
  private int recordStart;
  private int fieldStart;
  private long records;

  /** A writer of an unsorted segment: each partition's records in write order. */
  public SegmentWriter(RegionBuffer region, int partitions, int blockBytes) {
    this(region, partitions, blockBytes, false);
  }

  /** With {@code sorted}, {@link #finish()} also writes each partition's key-order index. */
  public SegmentWriter(RegionBuffer region, int partitions, int blockBytes, boolean sorted) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("a segment needs at least one partition, got " + partitions);
    }
    this.region = region;
    this.partitions = partitions;
    this.blockBytes = blockBytes;
    this.sorted = sorted;
    this.openView = new ByteBuffer[partitions];
    this.openOffset = new long[partitions];
    this.openAddress = new long[partitions];
    this.openCapacity = new int[partitions];
    this.openFill = new int[partitions];
    this.recordsIn = new long[partitions];
    this.openCrc = new CRC32C[partitions];
    this.openSummed = new int[partitions];
    for (int p = 0; p < partitions; p++) {
      openCrc[p] = new CRC32C();
    }
    this.headerOffset = region.allocate(SegmentFormat.HEADER_BYTES);
  }

  public int partitions() {
    return partitions;
  }

  public long records() {
    return records;
  }

  /** Starts a record in {@code partition}; the key comes next. */
  public void startRecord(int partition) {
    if (partition < 0 || partition >= partitions) {
      throw new IndexOutOfBoundsException("partition " + partition + " of " + partitions);
    }
    if (openView[partition] == null || openCapacity[partition] - openFill[partition] < 2 * SegmentFormat.FIELD_LENGTH_BYTES) {
      newBlock(partition, blockBytes);
    }
    writing = partition;
    address = openAddress[partition];
    capacity = openCapacity[partition];
    position = recordStart = openFill[partition];
    startField();
  }

  /** The stream the key and then the value are encoded into. */
  public OutputStream stream() {
    return stream;
  }

  public void endKey() {
    endField();
    ensure(SegmentFormat.FIELD_LENGTH_BYTES);
    startField();
  }

  public void endRecord() {
    endField();
    openFill[writing] = position;
    if (position - openSummed[writing] >= CHECKSUM_RUN_BYTES) {
      sumUpTo(writing, position);
    }
    recordsIn[writing]++;
    writing = -1;
    records++;
  }

  /** Writes a record whose key and value are already bytes. */
  public void write(int partition, byte[] key, byte[] value) {
    startRecord(partition);
    stream.write(key, 0, key.length);
    endKey();
    stream.write(value, 0, value.length);
    endRecord();
  }

  /** Closes all blocks, writes the indexes (if sorted), footer and header. The region can then be registered. */
  public void finish() {
    for (int p = 0; p < partitions; p++) {
      close(p);
    }
    long[][] indexes = sorted ? writeIndexes() : new long[0][];
    int footerBytes =
        4 + closedBlocks.size() * SegmentFormat.BLOCK_ENTRY_BYTES + 4 + indexes.length * SegmentFormat.INDEX_TABLE_ENTRY_BYTES;
    long footerOffset = region.allocate(footerBytes);
    ByteBuffer footer = region.block(footerOffset, footerBytes).order(ByteOrder.LITTLE_ENDIAN);
    footer.putInt(closedBlocks.size());
    for (ClosedBlock b : closedBlocks) {
      footer.putInt(b.partition()).putLong(b.offset()).putInt(b.length()).putInt(b.crc());
    }
    footer.putInt(indexes.length);
    for (long[] index : indexes) {
      footer.putLong(index[0]).putInt((int) index[1]).putInt((int) index[2]);
    }
    footer.flip();
    int footerCrc = SegmentFormat.crc(footer);
    ByteBuffer header = region.block(headerOffset, SegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(SegmentFormat.MAGIC).putInt(SegmentFormat.VERSION).putInt(partitions);
    header.putLong(footerOffset).putInt(footerBytes).putInt(footerCrc);
    header.putLong(records);
    int headerCrc = SegmentFormat.crc(header.duplicate().flip());
    header.putInt(headerCrc);
  }

  /** Writes every partition's key-order index; returns per partition {offset, entries, crc}. */
  private long[][] writeIndexes() {
    List<List<ClosedBlock>> byPartition = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      byPartition.add(new ArrayList<>());
    }
    for (ClosedBlock b : closedBlocks) {
      byPartition.get(b.partition()).add(b);
    }
    long[][] indexes = new long[partitions][];
    for (int p = 0; p < partitions; p++) {
      indexes[p] = writeIndex(recordsIn[p], byPartition.get(p));
    }
    return indexes;
  }

  private long[] writeIndex(long count, List<ClosedBlock> blocks) {
    if (count == 0) {
      return new long[] {0, 0, 0};
    }
    if (count > Integer.MAX_VALUE / SegmentFormat.INDEX_ENTRY_BYTES) {
      throw new IllegalArgumentException("too many records in one partition of region " + region.id() + " to sort: " + count);
    }
    ByteBuffer[] views = new ByteBuffer[blocks.size()];
    long[] positions = new long[(int) count];
    int n = 0;
    for (int ordinal = 0; ordinal < views.length; ordinal++) {
      ByteBuffer b = views[ordinal] = blocks.get(ordinal).bytes();
      for (int at = 0; at < blocks.get(ordinal).length(); n++) {
        positions[n] = SegmentFormat.position(ordinal, at);
        at += SegmentFormat.FIELD_LENGTH_BYTES + b.getInt(at); // key
        at += SegmentFormat.FIELD_LENGTH_BYTES + b.getInt(at); // value
      }
    }
    new IndexSorter(views).sort(positions);
    int bytes = positions.length * SegmentFormat.INDEX_ENTRY_BYTES;
    long offset = region.allocate(bytes);
    ByteBuffer index = region.block(offset, bytes).order(ByteOrder.LITTLE_ENDIAN);
    index.asLongBuffer().put(positions);
    return new long[] {offset, count, SegmentFormat.crc(index)};
  }

  private void startField() {
    fieldStart = position;
    position += SegmentFormat.FIELD_LENGTH_BYTES;
  }

  private void endField() {
    RawMemory.putIntLittleEndian(address + fieldStart, position - fieldStart - SegmentFormat.FIELD_LENGTH_BYTES);
  }

  /** Makes room for {@code n} more bytes of the current record, moving it to a bigger block if needed. */
  private void ensure(int n) {
    if (capacity - position >= n) {
      return;
    }
    int written = position - recordStart;
    long needed = (long) written + n + SegmentFormat.FIELD_LENGTH_BYTES;
    long size = Math.max(blockBytes, Math.max(needed, 2L * written));
    if (size > Integer.MAX_VALUE - 64 - BLOCK_STAGGER_BYTES) {
      throw new IllegalArgumentException("a single shuffle record exceeds 2 GiB in region " + region.id());
    }
    long partial = address + recordStart;
    // Cut the partial record off the old block before newBlock closes (and checksums) it; the old
    // block stays mapped until the region is sealed, so the partial record can still be copied.
    openFill[writing] = recordStart;
    newBlock(writing, (int) size);
    address = openAddress[writing];
    capacity = openCapacity[writing];
    RawMemory.copy(partial, address, written);
    fieldStart -= recordStart;
    position = written;
    recordStart = 0;
  }

  private void newBlock(int partition, int size) {
    close(partition);
    int bytes = size + BLOCK_STAGGER_BYTES;
    long offset = region.allocate(bytes);
    ByteBuffer view = region.block(offset, bytes).order(ByteOrder.LITTLE_ENDIAN);
    openView[partition] = view;
    openOffset[partition] = offset;
    openAddress[partition] = RawMemory.address(view);
    openCapacity[partition] = bytes;
    openFill[partition] = 0;
  }

  private void close(int partition) {
    ByteBuffer view = openView[partition];
    if (view == null) {
      return;
    }
    int length = openFill[partition];
    if (length > 0) {
      sumUpTo(partition, length);
      ByteBuffer bytes = view.clear().slice(0, length).order(ByteOrder.LITTLE_ENDIAN);
      closedBlocks.add(new ClosedBlock(partition, openOffset[partition], length, (int) openCrc[partition].getValue(), bytes));
    }
    openView[partition] = null;
    openCrc[partition].reset();
    openSummed[partition] = 0;
  }

  /** Adds the open block's bytes up to {@code end} (finished records only) to its checksum. */
  private void sumUpTo(int partition, int end) {
    ByteBuffer view = openView[partition];
    openCrc[partition].update(view.limit(end).position(openSummed[partition]));
    openSummed[partition] = end;
  }

  /** A block as the footer lists it; {@code bytes} (little endian) stays writable-mapped until the region is sealed. */
  private record ClosedBlock(int partition, long offset, int length, int crc, ByteBuffer bytes) {}

  /** Encodes into the current record; bounds are checked against the block before each store. */
  private final class RecordStream extends OutputStream {
    @Override
    public void write(int b) {
      if (position == capacity) {
        ensure(1);
      }
      RawMemory.putByte(address + position++, (byte) b);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
      Objects.checkFromIndexSize(off, len, bytes.length);
      if (capacity - position < len) {
        ensure(len);
      }
      RawMemory.copy(bytes, off, address + position, len);
      position += len;
    }
  }
}
