package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dmerge.shuffle.segment.CorruptSegmentException;
import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage a registered segment's file behind the library's back and read it: the reader must throw
 * {@link CorruptSegmentException} or return exactly the original records, never anything else.
 */
class CorruptionTest {
  private static final String JOB = "corrupt";
  private static final String CORRUPT = "<corrupt>";

  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;
  private final Records records = new Records(3, 40, 5, 256);
  private final AccessKey key = AccessKey.random();
  private RegionMeta meta;
  private Path file;
  private String expected;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config(JOB));
    useSegment("seg", records);
  }

  /** Writes and registers a segment of these records; the tests then damage and read it. */
  private void useSegment(String id, Records records) {
    RegionBuffer buffer = dmerge.allocate(id);
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
    records.writeTo(writer);
    writer.finish();
    file = buffer.file();
    meta = dmerge.register(buffer, key);
    expected = records.expectedDigest();
    assertEquals(expected, read(), "intact segment");
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  /** The records' digest, or CORRUPT; any other failure fails the test. */
  private String read() {
    try (MappedRegion region = dmerge.rmap(meta, key)) {
      return Records.digest(new SegmentReader(region));
    } catch (CorruptSegmentException e) {
      return CORRUPT;
    }
  }

  private void assertDetected(String what) {
    assertEquals(CORRUPT, read(), what + " was not detected");
  }

  private byte flip(long offset, int mask) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      byte old = b.get(0);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (old ^ mask)}), offset);
      return old;
    }
  }

  private void restore(long offset, byte value) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {value}), offset);
    }
  }

  private ByteBuffer header() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, 0);
      return b.flip();
    }
  }

  @Test
  void flippedByteInABlockIsDetected() throws IOException {
    // Every block listed in the footer, first, middle and last byte.
    assertFlipsInEveryBlockDetected(1, records.partitions + 1);
  }

  @Test
  void flippedByteInAnyChecksumRunOfALargeBlockIsDetected() throws IOException {
    // The writer sums a block's checksum in runs of a few KiB as records finish: damage in the
    // first run, a middle one or the unsummed tail must fail the block all the same.
    useSegment("large-blocks", new Records(5, 600, 2, 64 * 1024));
    int longBlocks = assertFlipsInEveryBlockDetected(64, 2);
    assertTrue(longBlocks >= 2, "only " + longBlocks + " blocks span several checksum runs");
  }

  /**
   * Flips bits at {@code points} evenly spread bytes (besides first, middle and last) of every
   * block, of which there must be at least {@code minBlocks}; returns how many blocks are longer
   * than four checksum runs.
   */
  private int assertFlipsInEveryBlockDetected(int points, int minBlocks) throws IOException {
    ByteBuffer h = header();
    ByteBuffer footer = ByteBuffer.allocate(h.getInt(24)).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.read(footer, h.getLong(16));
    }
    footer.flip();
    int blocks = footer.getInt();
    assertTrue(blocks >= minBlocks, blocks + " blocks");
    int longBlocks = 0;
    for (int i = 0; i < blocks; i++) {
      footer.getInt();
      long offset = footer.getLong();
      int length = footer.getInt();
      footer.getInt();
      TreeSet<Long> at = new TreeSet<>(List.of(offset, offset + length / 2, offset + length - 1));
      for (int k = 1; k < points; k++) {
        at.add(offset + (long) length * k / points);
      }
      if (length > 4 * 4096) {
        longBlocks++;
      }
      for (long a : at) {
        byte old = flip(a, 0x04);
        assertDetected("a flipped bit in block " + i + " at " + a);
        restore(a, old);
      }
    }
    assertEquals(expected, read());
    return longBlocks;
  }

  @Test
  void flippedByteInTheFooterIsDetected() throws IOException {
    ByteBuffer h = header();
    long footerOffset = h.getLong(16);
    int footerBytes = h.getInt(24);
    for (long at : new long[] {footerOffset, footerOffset + 5, footerOffset + footerBytes - 1}) {
      byte old = flip(at, 0x10);
      assertDetected("a flipped bit in the footer at " + at);
      restore(at, old);
    }
    assertEquals(expected, read());
  }

  @Test
  void flippedByteInTheHeaderIsDetected() throws IOException {
    // Bytes 0..43 carry magic, version, partitions, footer position, footer CRC, record count and
    // the header CRC itself; every one of them is checked.
    for (int at = 0; at < 44; at++) {
      for (int mask : new int[] {0x01, 0x80}) {
        byte old = flip(at, mask);
        assertDetected("a flipped bit in header byte " + at);
        restore(at, old);
      }
    }
    // Bytes 44..63 are reserved and unused: damage there cannot change what is read.
    for (int at = 44; at < 64; at++) {
      byte old = flip(at, 0xff);
      assertEquals(expected, read(), "reserved header byte " + at);
      restore(at, old);
    }
  }

  @Test
  void truncatedFileIsDetected() throws IOException {
    long size = meta.size();
    for (long keep : new long[] {size - 1, size - 20, size / 2, 65, 64, 63, 8, 0}) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(keep);
      }
      assertDetected("truncation to " + keep + " of " + size + " bytes");
    }
  }

  @Test
  void everySingleBitFlipIsDetectedOrHarmless() throws IOException {
    long size = meta.size();
    assertTrue(size < 256 * 1024, "keep the exhaustive scan small: " + size);
    int detected = 0;
    int harmless = 0;
    // One mapping for the whole scan: writes through the channel land in the very pages mapped.
    try (MappedRegion region = dmerge.rmap(meta, key);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      for (long at = 0; at < size; at++) {
        ch.read(one.clear(), at);
        byte old = one.get(0);
        ch.write(ByteBuffer.wrap(new byte[] {(byte) (old ^ (1 << (at % 8)))}), at);
        String got;
        try {
          got = Records.digest(new SegmentReader(region));
        } catch (CorruptSegmentException e) {
          got = CORRUPT;
        }
        ch.write(ByteBuffer.wrap(new byte[] {old}), at);
        if (got.equals(CORRUPT)) {
          detected++;
        } else if (got.equals(expected)) {
          harmless++; // reserved header bytes and unused block tails
        } else {
          fail("bit flip at byte " + at + " of " + size + " silently changed the records");
        }
      }
    }
    System.out.println("bit flips over " + size + " bytes: " + detected + " detected, " + harmless + " harmless");
    assertTrue(detected > size / 4, detected + " detected, " + harmless + " harmless");
    assertEquals(expected, read());
  }

  @Test
  void aRegionThatIsNoSegmentIsRejected() {
    RegionBuffer buffer = dmerge.allocate("not-a-segment");
    ByteBuffer b = buffer.block(buffer.allocate(4096), 4096);
    for (int i = 0; i < 4096; i++) {
      b.put((byte) (i * 31));
    }
    RegionMeta m = dmerge.register(buffer, key);
    try (MappedRegion region = dmerge.rmap(m, key)) {
      assertThrows(CorruptSegmentException.class, () -> new SegmentReader(region));
    }
    RegionBuffer empty = dmerge.allocate("empty-region");
    RegionMeta e = dmerge.register(empty, key);
    assertEquals(0, e.size());
    try (MappedRegion region = dmerge.rmap(e, key)) {
      assertThrows(CorruptSegmentException.class, () -> new SegmentReader(region));
    }
  }
}
