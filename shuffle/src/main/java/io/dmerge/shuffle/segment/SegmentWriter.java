package io.dmerge.shuffle.segment;

import io.dmerge.shuffle.RegionBuffer;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

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
  private final RegionBuffer region;
  private final int partitions;
  private final int blockBytes;
  private final boolean sorted;
  private final OpenBlock[] open;
  private final long[] recordsIn; // per partition: the size of its index
  private final List<ClosedBlock> closedBlocks = new ArrayList<>();
  private final long headerOffset;
  private final RecordStream stream = new RecordStream();
  // The partition of the record being written (its block is open[writing]), kept as an index: a
  // reference stored into this long-lived writer on every record would cost a GC write barrier each.
  private int writing = -1;
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
    this.open = new OpenBlock[partitions];
    this.recordsIn = new long[partitions];
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
    OpenBlock block = open[partition];
    if (block == null || block.buffer.remaining() < 2 * SegmentFormat.FIELD_LENGTH_BYTES) {
      block = newBlock(partition, blockBytes);
    }
    writing = partition;
    recordStart = block.buffer.position();
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
    for (OpenBlock block : open) {
      if (block != null) {
        close(block);
      }
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
    ByteBuffer b = open[writing].buffer;
    fieldStart = b.position();
    b.position(fieldStart + SegmentFormat.FIELD_LENGTH_BYTES);
  }

  private void endField() {
    ByteBuffer b = open[writing].buffer;
    b.putInt(fieldStart, b.position() - fieldStart - SegmentFormat.FIELD_LENGTH_BYTES);
  }

  /** Makes room for {@code n} more bytes of the current record, moving it to a bigger block if needed. */
  private void ensure(int n) {
    ByteBuffer b = open[writing].buffer;
    if (b.remaining() >= n) {
      return;
    }
    int written = b.position() - recordStart;
    long needed = (long) written + n + SegmentFormat.FIELD_LENGTH_BYTES;
    long size = Math.max(blockBytes, Math.max(needed, 2L * written));
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("a single shuffle record exceeds 2 GiB in region " + region.id());
    }
    OpenBlock old = open[writing];
    ByteBuffer partial = old.buffer.duplicate().position(recordStart).limit(b.position());
    // Cut the partial record off the old block before newBlock closes (and checksums) it.
    old.buffer.position(recordStart);
    OpenBlock moved = newBlock(old.partition, (int) size);
    moved.buffer.put(partial);
    fieldStart = fieldStart - recordStart;
    recordStart = 0; // newBlock made the moved block open[writing]
  }

  private OpenBlock newBlock(int partition, int size) {
    if (open[partition] != null) {
      close(open[partition]);
    }
    long offset = region.allocate(size);
    OpenBlock block = new OpenBlock(partition, offset, region.block(offset, size).order(ByteOrder.LITTLE_ENDIAN));
    open[partition] = block;
    return block;
  }

  private void close(OpenBlock block) {
    int length = block.buffer.position();
    if (length > 0) {
      int crc = SegmentFormat.crc(block.buffer.duplicate().flip());
      closedBlocks.add(new ClosedBlock(block.partition, block.offset, length, crc, block.buffer));
    }
    open[block.partition] = null;
  }

  private static final class OpenBlock {
    final int partition;
    final long offset;
    final ByteBuffer buffer;

    OpenBlock(int partition, long offset, ByteBuffer buffer) {
      this.partition = partition;
      this.offset = offset;
      this.buffer = buffer;
    }
  }

  /** A block as the footer lists it; {@code bytes} (little endian) stays writable-mapped until the region is sealed. */
  private record ClosedBlock(int partition, long offset, int length, int crc, ByteBuffer bytes) {}

  private final class RecordStream extends OutputStream {
    @Override
    public void write(int b) {
      ensure(1);
      open[writing].buffer.put((byte) b);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
      ensure(len);
      open[writing].buffer.put(bytes, off, len);
    }
  }
}
