package io.dmerge.shuffle.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.segment.SegmentFiles.Rec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SortedSegmentTest {
  @TempDir Path tmp;

  @Test
  void everyPartitionComesBackInKeyOrderAndInWriteOrder() {
    int partitions = 37;
    int blockBytes = 4096;
    List<Rec> records = SegmentFiles.generate(7, 6000, partitions, blockBytes);
    Path file = tmp.resolve("sorted");
    SegmentFiles.write(file, partitions, blockBytes, true, records);
    try (MappedRegion region = SegmentFiles.map(file)) {
      SegmentReader reader = new SegmentReader(region);
      assertTrue(reader.sorted());
      assertEquals(records.size(), reader.records());
      for (int p = 0; p < partitions; p++) {
        assertEquals(SegmentFiles.expected(records, p, true), SegmentFiles.drain(reader.partitionInKeyOrder(p)), "partition " + p);
        assertEquals(SegmentFiles.expected(records, p, false), SegmentFiles.drain(reader.partition(p)), "partition " + p);
      }
      assertFalse(reader.partitionInKeyOrder(0).next(), "partition 0 is empty");
    }
  }

  @Test
  void prefixesEmptyKeysAndHighBytesSortUnsigned() {
    byte[][] keys = {{}, {(byte) 0xff}, {0x61, 0x62}, {0x61}, {(byte) 0x80}, {0x61, 0x00}, {}, {0x61}, {0x7f}};
    List<Rec> records = new ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      records.add(new Rec(0, keys[i], new byte[] {(byte) i}));
    }
    Path file = tmp.resolve("prefixes");
    SegmentFiles.write(file, 1, 4096, true, records);
    try (MappedRegion region = SegmentFiles.map(file)) {
      List<String> got = SegmentFiles.drain(new SegmentReader(region).partitionInKeyOrder(0));
      assertEquals(List.of("=00", "=06", "61=03", "61=07", "6100=05", "6162=02", "7f=08", "80=04", "ff=01"), got);
    }
  }

  @Test
  void aSegmentWithoutRecordsHasEmptyIndexes() {
    Path file = tmp.resolve("empty");
    SegmentFiles.write(file, 3, 4096, true, List.of());
    try (MappedRegion region = SegmentFiles.map(file)) {
      SegmentReader reader = new SegmentReader(region);
      assertTrue(reader.sorted());
      for (int p = 0; p < 3; p++) {
        assertFalse(reader.partitionInKeyOrder(p).next());
      }
    }
  }

  @Test
  void anUnsortedSegmentHasNoKeyOrder() {
    Path file = tmp.resolve("unsorted");
    SegmentFiles.write(file, 2, 4096, false, SegmentFiles.generate(1, 100, 2, 4096));
    try (MappedRegion region = SegmentFiles.map(file)) {
      SegmentReader reader = new SegmentReader(region);
      assertFalse(reader.sorted());
      assertThrows(IllegalStateException.class, () -> reader.partitionInKeyOrder(0));
    }
  }

  @Test
  void keyOrderIsUnsignedAndLeavesPositionsAlone() {
    ByteBuffer a = ByteBuffer.wrap(new byte[] {9, 0x61, (byte) 0x80}).position(1);
    ByteBuffer b = ByteBuffer.wrap(new byte[] {0x61, 0x7f});
    assertTrue(KeyOrder.compare(a, b) > 0);
    assertTrue(KeyOrder.compare(b, a) < 0);
    assertTrue(KeyOrder.compare(a.duplicate().limit(2), b) < 0, "a proper prefix comes first");
    assertEquals(0, KeyOrder.compare(a.duplicate().limit(2), b.duplicate().limit(1)));
    assertEquals(1, a.position());
  }

  /**
   * Many records in one partition, far more than distinct keys, with a shared 8-byte key prefix:
   * every record comes back in key order and, among equal keys, in write order. (How long the
   * producer's sort takes is for a benchmark, not for a unit test on a shared machine.)
   */
  @Test
  void manyRecordsWithFewDistinctKeysComeBackInKeyThenWriteOrder() {
    int count = 300_000;
    SplittableRandom r = new SplittableRandom(11);
    List<Rec> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] key = new byte[12];
      ByteBuffer.wrap(key).putLong(0x6b65792d00000000L).putInt(r.nextInt(30_000));
      records.add(new Rec(0, key, ByteBuffer.allocate(8).putLong(i).array()));
    }
    Path file = tmp.resolve("many-sorted");
    SegmentFiles.write(file, 1, 256 * 1024, true, records);
    try (MappedRegion region = SegmentFiles.map(file)) {
      SegmentReader.RecordCursor c = new SegmentReader(region).partitionInKeyOrder(0);
      ByteBuffer previousKey = ByteBuffer.allocate(0);
      long previousValue = -1;
      int n = 0;
      while (c.next()) {
        int order = KeyOrder.compare(previousKey, c.key());
        assertTrue(order < 0 || (order == 0 && previousValue < c.value().getLong(0)), "record " + n);
        previousKey = c.key();
        previousValue = c.value().getLong(0);
        n++;
      }
      assertEquals(count, n);
    }
  }
}
