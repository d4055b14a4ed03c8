package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {
  private static final int MIB = 1 << 20;

  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config("roundtrip"));
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  @Test
  void manyPartitionsAndVariedRecordSizesComeBackExactly() {
    int blockBytes = 16 * 1024;
    Records records = new Records(42, 6000, 37, blockBytes);
    RegionBuffer buffer = dmerge.allocate("map-0");
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, blockBytes);
    records.writeTo(writer);
    writer.finish();
    AccessKey key = AccessKey.random();
    RegionMeta meta = dmerge.register(buffer, key);
    assertEquals(TestRoots.NODE, meta.node());
    assertEquals("map-0", meta.id());
    assertEquals(buffer.size(), meta.size());

    List<List<Records.Rec>> expected = new ArrayList<>();
    for (int p = 0; p < records.partitions; p++) {
      expected.add(new ArrayList<>());
    }
    for (Records.Rec r : records.generate()) {
      expected.get(r.partition()).add(r);
    }
    assertTrue(expected.stream().flatMap(List::stream).anyMatch(r -> r.value().length > blockBytes));
    assertTrue(expected.stream().flatMap(List::stream).anyMatch(r -> r.key().length > blockBytes));

    try (MappedRegion region = dmerge.rmap(meta, key)) {
      assertEquals(meta.size(), region.size());
      SegmentReader reader = new SegmentReader(region);
      assertEquals(records.partitions, reader.partitions());
      assertEquals(records.count, reader.records());
      for (int p = 0; p < records.partitions; p++) {
        SegmentReader.RecordCursor cursor = reader.partition(p);
        for (Records.Rec want : expected.get(p)) {
          assertTrue(cursor.next(), "partition " + p + " ended early");
          assertArrayEquals(want.key(), bytes(cursor.key()), "key in partition " + p);
          assertArrayEquals(want.value(), bytes(cursor.value()), "value in partition " + p);
        }
        assertFalse(cursor.next(), "partition " + p + " has extra records");
      }
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
    }
  }

  @Test
  void recordLargerThanA64MiBWindowBetweenSmallOnes() {
    int blockBytes = 64 * 1024;
    byte[] huge = pattern(70 * MIB + 12345, 7);
    byte[] hugeKey = pattern(3 * blockBytes, 11);
    RegionBuffer buffer = dmerge.allocate("huge");
    SegmentWriter writer = new SegmentWriter(buffer, 4, blockBytes);
    for (int i = 0; i < 100; i++) {
      writer.write(i % 4, ("a" + i).getBytes(), ("small" + i).getBytes());
    }
    // Streamed in 1 MiB pieces, so the record outgrows its block several times.
    writer.startRecord(1);
    Records.put(writer, hugeKey, 0, hugeKey.length);
    writer.endKey();
    for (int off = 0; off < huge.length; off += MIB) {
      Records.put(writer, huge, off, Math.min(MIB, huge.length - off));
    }
    writer.endRecord();
    for (int i = 100; i < 200; i++) {
      writer.write(i % 4, ("a" + i).getBytes(), ("small" + i).getBytes());
    }
    writer.finish();
    AccessKey key = AccessKey.random();
    RegionMeta meta = dmerge.register(buffer, key);
    assertTrue(meta.size() > 70L * MIB);

    try (MappedRegion region = dmerge.rmap(meta, key)) {
      SegmentReader reader = new SegmentReader(region);
      assertEquals(201, reader.records());
      for (int p = 0; p < 4; p++) {
        SegmentReader.RecordCursor c = reader.partition(p);
        for (int i = p; i < 200; i += 4) {
          if (p == 1 && i == 101) {
            assertTrue(c.next());
            assertArrayEquals(hugeKey, bytes(c.key()));
            assertEquals(huge.length, c.value().remaining());
            assertTrue(c.value().equals(ByteBuffer.wrap(huge)), "huge value differs");
          }
          assertTrue(c.next());
          assertArrayEquals(("a" + i).getBytes(), bytes(c.key()));
          assertArrayEquals(("small" + i).getBytes(), bytes(c.value()));
        }
        assertFalse(c.next());
      }
    }
  }

  @Test
  void rawRegionSpanningSeveralWindowsIsTheSameBytes() {
    RegionBuffer buffer = dmerge.allocate("raw");
    long[] sizes = {MIB, 63L * MIB, 2 * MIB, 65L * MIB + 3, 4096, 10L * MIB};
    long[] offsets = new long[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      offsets[i] = buffer.allocate(sizes[i]);
      ByteBuffer b = buffer.block(offsets[i], (int) sizes[i]);
      for (int j = 0; j < sizes[i]; j += 8) {
        if (sizes[i] - j >= 8) {
          b.putLong(j, offsets[i] + j);
        }
      }
    }
    AccessKey key = AccessKey.random();
    RegionMeta meta = dmerge.register(buffer, key);
    assertThrows(IllegalStateException.class, () -> buffer.allocate(10), "a registered region is sealed");
    try (MappedRegion region = dmerge.rmap(meta, key)) {
      for (int i = 0; i < sizes.length; i++) {
        ByteBuffer b = region.slice(offsets[i], (int) sizes[i]);
        assertTrue(b.isReadOnly());
        for (int j = 0; j + 8 <= sizes[i]; j += 8) {
          if (b.getLong(j) != offsets[i] + j) {
            throw new AssertionError("block " + i + " differs at " + j);
          }
        }
      }
      assertThrows(DmergeException.class, () -> region.slice(meta.size() - 4, 8));
    }
  }

  @Test
  void emptySegmentAndEmptyPartitions() {
    RegionBuffer buffer = dmerge.allocate("empty");
    SegmentWriter writer = new SegmentWriter(buffer, 5, 4096);
    writer.write(3, new byte[0], new byte[0]);
    writer.finish();
    AccessKey key = AccessKey.random();
    RegionMeta meta = dmerge.register(buffer, key);
    try (MappedRegion region = dmerge.rmap(meta, key)) {
      SegmentReader reader = new SegmentReader(region);
      for (int p = 0; p < 5; p++) {
        SegmentReader.RecordCursor c = reader.partition(p);
        if (p == 3) {
          assertTrue(c.next());
          assertEquals(0, c.key().remaining());
          assertEquals(0, c.value().remaining());
        }
        assertFalse(c.next());
      }
    }
  }

  @Test
  void discardedBufferLeavesNoFile() {
    RegionBuffer buffer = dmerge.allocate("discarded");
    buffer.block(buffer.allocate(1000), 1000).put((byte) 1);
    Path file = buffer.file();
    assertTrue(Files.exists(file));
    buffer.close();
    assertFalse(Files.exists(file));
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static byte[] pattern(int length, int salt) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * salt + (i >>> 12));
    }
    return b;
  }
}
