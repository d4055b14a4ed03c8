package io.dmerge.runner.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Producers' sorted regions merge into one key order; equal keys in producer, then write order. */
class KeyOrderMergeTest {
  @TempDir Path regions;
  @TempDir Path spill;
  private ShmDmerge dmerge;

  @BeforeEach
  void setUp() {
    dmerge = ShmDmerge.create(new ShmConfig("merge", regions, spill, 1L << 30, ShmConfig.localNode()));
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
  }

  private RegionRef produce(String id, boolean sorted, String... keyValues) throws Exception {
    try (ShuffleWriter<String> writer = new ShuffleWriter<>(dmerge, id, StringUtf8Coder.of(), 1, 4096, sorted)) {
      for (String kv : keyValues) {
        String[] parts = kv.split("=", -1);
        writer.write(parts[0].getBytes(StandardCharsets.UTF_8), parts[1]);
      }
      return writer.finish();
    }
  }

  private static List<String> drain(SegmentReader.RecordCursor cursor) throws Exception {
    ShuffleReader.Decoder<String> values = new ShuffleReader.Decoder<>(StringUtf8Coder.of());
    List<String> out = new ArrayList<>();
    while (cursor.next()) {
      out.add(StandardCharsets.UTF_8.decode(cursor.key().duplicate()) + "=" + values.decode(cursor.value()));
    }
    return out;
  }

  @Test
  void mergesProducersInKeyOrder() throws Exception {
    List<RegionRef> refs =
        List.of(
            produce("p0", true, "b=0.1", "=0.2", "ab=0.3", "b=0.4"),
            produce("p1", true, "a=1.1", "b=1.2", "\u00e9=1.3"),
            produce("p2", true, "=2.1"),
            produce("p3", true, "b=3.1", "a=3.2", "=3.3"));
    try (ShuffleReader reader = new ShuffleReader(dmerge, refs)) {
      assertTrue(reader.sorted());
      assertEquals(
          List.of("=0.2", "=2.1", "=3.3", "a=1.1", "a=3.2", "ab=0.3", "b=0.1", "b=0.4", "b=1.2", "b=3.1", "\u00e9=1.3"),
          drain(reader.inKeyOrder(0)));
    }
  }

  @Test
  void unsortedProducersAreNotMerged() throws Exception {
    List<RegionRef> refs = List.of(produce("s", true, "a=1"), produce("u", false, "a=2"));
    try (ShuffleReader reader = new ShuffleReader(dmerge, refs)) {
      assertFalse(reader.sorted());
    }
  }

  @Test
  void keysCompareAsUnsignedBytes() throws Exception {
    // UTF-8 of U+00E9 starts with 0xC3: after every ASCII key, though a signed byte would be negative.
    RegionRef ref = produce("u", true, "\u00e9=1", "z=2");
    try (ShuffleReader reader = new ShuffleReader(dmerge, List.of(ref))) {
      assertEquals(List.of("z=2", "\u00e9=1"), drain(reader.inKeyOrder(0)));
    }
    assertTrue(ByteBuffer.wrap("\u00e9".getBytes(StandardCharsets.UTF_8)).get(0) < 0);
  }

  @Test
  void aProducersStretchOfRecordsCanBeReadAgainWhileItsRegionIsMapped() throws Exception {
    List<RegionRef> refs = List.of(produce("p0", true, "a=0.1", "b=0.2", "b=0.3", "c=0.4"), produce("p1", true, "b=1.1"));
    KeyOrderMerge merge;
    try (ShuffleReader reader = new ShuffleReader(dmerge, refs)) {
      merge = reader.inKeyOrder(0);
      List<int[]> bs = new ArrayList<>(); // {producer, entry} of every record of key b
      while (merge.next()) {
        if (StandardCharsets.UTF_8.decode(merge.key()).toString().equals("b")) {
          bs.add(new int[] {merge.producer(), merge.entry()});
        }
      }
      assertEquals(List.of("0:1", "0:2", "1:0"), bs.stream().map(b -> b[0] + ":" + b[1]).toList());
      assertEquals(List.of("b=0.2", "b=0.3"), drain(merge.replay(0, 1, 3)));
      assertEquals(List.of("b=0.2", "b=0.3"), drain(merge.replay(0, 1, 3)), "a stretch replays as often as asked");
      assertEquals(List.of("b=1.1"), drain(merge.replay(1, 0, 1)));
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> merge.replay(0, 1, 3));
    assertTrue(e.getMessage().contains("after the task that read it ended"), e.getMessage());
  }
}
