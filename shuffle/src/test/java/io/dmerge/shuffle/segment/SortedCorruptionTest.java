package io.dmerge.shuffle.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.segment.SegmentFiles.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage a sorted segment and read every partition in key order: the reader must throw {@link
 * CorruptSegmentException} or return exactly the original records in the original order.
 */
class SortedCorruptionTest {
  private static final int PARTITIONS = 5;
  private static final int BLOCK_BYTES = 256;
  private static final List<String> CORRUPT = List.of("<corrupt>");

  @TempDir Path tmp;
  private final List<Rec> records = SegmentFiles.generate(3, 60, PARTITIONS, BLOCK_BYTES);
  private Path file;
  private List<String> expected;

  @BeforeEach
  void setUp() {
    file = tmp.resolve("sorted");
    SegmentFiles.write(file, PARTITIONS, BLOCK_BYTES, true, records);
    expected = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      expected.add("partition " + p);
      expected.addAll(SegmentFiles.expected(records, p, true));
    }
  }

  /** Every partition in key order, or CORRUPT; any other failure fails the test. */
  private static List<String> read(MappedRegion region) {
    try {
      SegmentReader reader = new SegmentReader(region);
      List<String> got = new ArrayList<>();
      for (int p = 0; p < reader.partitions(); p++) {
        got.add("partition " + p);
        got.addAll(SegmentFiles.drain(reader.partitionInKeyOrder(p)));
      }
      return got;
    } catch (CorruptSegmentException e) {
      return CORRUPT;
    }
  }

  @Test
  void everySingleBitFlipIsDetectedOrHarmless() throws IOException {
    long size = Files.size(file);
    assertTrue(size < 256 * 1024, "keep the exhaustive scan small: " + size);
    int detected = 0;
    int harmless = 0;
    // One mapping for the whole scan: writes through the channel land in the very pages mapped.
    try (MappedRegion region = SegmentFiles.map(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      assertEquals(expected, read(region), "intact segment");
      ByteBuffer one = ByteBuffer.allocate(1);
      for (long at = 0; at < size; at++) {
        ch.read(one.clear(), at);
        byte old = one.get(0);
        ch.write(ByteBuffer.wrap(new byte[] {(byte) (old ^ (1 << (at % 8)))}), at);
        List<String> got = read(region);
        ch.write(ByteBuffer.wrap(new byte[] {old}), at);
        if (got.equals(CORRUPT)) {
          detected++;
        } else if (got.equals(expected)) {
          harmless++; // reserved header bytes, unused block tails, abandoned blocks
        } else {
          fail("bit flip at byte " + at + " of " + size + " silently changed the records");
        }
      }
      assertEquals(expected, read(region));
    }
    System.out.println("sorted segment, bit flips over " + size + " bytes: " + detected + " detected, " + harmless + " harmless");
    assertTrue(detected > size / 4, detected + " detected, " + harmless + " harmless");
  }

  @Test
  void truncatedFileIsDetected() throws IOException {
    long size = Files.size(file);
    for (long keep : new long[] {size - 1, size - 20, size / 2, 65, 64, 63, 8, 0}) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(keep);
      }
      try (MappedRegion region = SegmentFiles.map(file)) {
        assertEquals(CORRUPT, read(region), "truncation to " + keep + " of " + size + " bytes");
      }
    }
  }
}
