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
 * <p>Usage per record: {@link #startRecord(int)}, encode the key into {@link #stream()}, {@link
 * #endKey()}, encode the value, {@link #endRecord()}. Not thread-safe.
 */
public final class SegmentWriter {
  private final RegionBuffer region;
  private final int partitions;
  private final int blockBytes;
  private final OpenBlock[] open;
  private final List<long[]> closedBlocks = new ArrayList<>(); // {partition, offset, length, crc}
  private final long headerOffset;
  private final RecordStream stream = new RecordStream();
  private OpenBlock current;
  private int recordStart;
  private int fieldStart;
  private long records;

  public SegmentWriter(RegionBuffer region, int partitions, int blockBytes) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("a segment needs at least one partition, got " + partitions);
    }
    this.region = region;
    this.partitions = partitions;
    this.blockBytes = blockBytes;
    this.open = new OpenBlock[partitions];
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
    current = block;
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
    current = null;
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

  /** Closes all blocks, writes footer and header. The region can then be registered. */
  public void finish() {
    for (OpenBlock block : open) {
      if (block != null) {
        close(block);
      }
    }
    int footerBytes = 4 + closedBlocks.size() * SegmentFormat.BLOCK_ENTRY_BYTES;
    long footerOffset = region.allocate(footerBytes);
    ByteBuffer footer = region.block(footerOffset, footerBytes).order(ByteOrder.LITTLE_ENDIAN);
    footer.putInt(closedBlocks.size());
    for (long[] b : closedBlocks) {
      footer.putInt((int) b[0]).putLong(b[1]).putInt((int) b[2]).putInt((int) b[3]);
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

  private void startField() {
    fieldStart = current.buffer.position();
    current.buffer.position(fieldStart + SegmentFormat.FIELD_LENGTH_BYTES);
  }

  private void endField() {
    ByteBuffer b = current.buffer;
    b.putInt(fieldStart, b.position() - fieldStart - SegmentFormat.FIELD_LENGTH_BYTES);
  }

  /** Makes room for {@code n} more bytes of the current record, moving it to a bigger block if needed. */
  private void ensure(int n) {
    ByteBuffer b = current.buffer;
    if (b.remaining() >= n) {
      return;
    }
    int written = b.position() - recordStart;
    long needed = (long) written + n + SegmentFormat.FIELD_LENGTH_BYTES;
    long size = Math.max(blockBytes, Math.max(needed, 2L * written));
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("a single shuffle record exceeds 2 GiB in region " + region.id());
    }
    OpenBlock old = current;
    ByteBuffer partial = old.buffer.duplicate().position(recordStart).limit(b.position());
    // Cut the partial record off the old block before newBlock closes (and checksums) it.
    old.buffer.position(recordStart);
    OpenBlock moved = newBlock(old.partition, (int) size);
    moved.buffer.put(partial);
    fieldStart = fieldStart - recordStart;
    recordStart = 0;
    current = moved;
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
      closedBlocks.add(new long[] {block.partition, block.offset, length, crc});
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

  private final class RecordStream extends OutputStream {
    @Override
    public void write(int b) {
      ensure(1);
      current.buffer.put((byte) b);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
      ensure(len);
      current.buffer.put(bytes, off, len);
    }
  }
}
