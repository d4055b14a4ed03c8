package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Released region files go to a per-job pool and are claimed again, with this process's mappings. */
class RecycleTest {
  private static final int MIB = 1 << 20;
  private static final String JOB = "recycle";

  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;
  private Path memDir;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config(JOB));
    memDir = roots.memoryRoot.resolve(JOB);
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  private static long inode(Path file) throws IOException {
    return ((Number) Files.getAttribute(file, "unix:ino")).longValue();
  }

  private List<Path> pooled() throws IOException {
    Path free = memDir.resolve("free");
    if (!Files.isDirectory(free)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(free)) {
      return s.toList();
    }
  }

  /** Writes {@code size} bytes of {@link CrossProcessPeer#pattern} in blocks of at most 4 MiB. */
  private static RegionMeta writeRaw(Dmerge d, String id, long seed, long size, AccessKey key) {
    RegionBuffer buffer = d.allocate(id);
    long written = 0;
    while (written < size) {
      int len = (int) Math.min(4 * MIB, size - written);
      long at = buffer.allocate(len);
      ByteBuffer b = buffer.block(at, len).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i + 8 <= len; i += 8) {
        b.putLong(i, CrossProcessPeer.pattern(seed, at + i));
      }
      written += len;
    }
    return d.register(buffer, key);
  }

  private RegionMeta writeSegment(String id, Records records, AccessKey key) {
    RegionBuffer buffer = dmerge.allocate(id);
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
    records.writeTo(writer);
    writer.finish();
    return dmerge.register(buffer, key);
  }

  private Process peer(String mode, String id, AccessKey key, Records records) throws IOException {
    return CrossProcessPeer.start(mode, roots.config(JOB), id, key, records);
  }

  private static void awaitExit(Process p) throws InterruptedException {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("peer did not exit");
    }
    assertEquals(0, p.exitValue());
  }

  @Test
  void releasedFileIsReusedByTheNextAllocateAndReadsBackInAnotherProcess() throws Exception {
    AccessKey key = AccessKey.random();
    Records big = new Records(1, 6000, 16, 8192);
    RegionMeta first = writeSegment("first", big, key);
    long ino = inode(memDir.resolve("first.region"));
    dmerge.release("first");
    assertFalse(Files.exists(memDir.resolve("first.region")));
    assertFalse(Files.exists(memDir.resolve("first.meta")));
    assertEquals(1, pooled().size());
    assertEquals(ino, inode(pooled().get(0)));
    assertTrue(dmerge.pooledBytes() > 0);

    Records small = new Records(7, 3000, 16, 8192); // what CrossProcessPeer's consumer expects
    RegionMeta second = writeSegment("second", small, key);
    assertTrue(second.size() < first.size());
    assertEquals(ino, inode(memDir.resolve("second.region")), "the pooled file was claimed");
    assertEquals(0, pooled().size());
    assertEquals(0, dmerge.pooledBytes());

    try (MappedRegion r = dmerge.rmap(second, key)) {
      assertEquals(small.expectedDigest(), Records.digest(new SegmentReader(r)));
    }
    Process p = peer("consume", "second", key, small);
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("DENIED", out.readLine());
      assertEquals("RECORDS " + small.count, out.readLine());
      assertEquals("CHECKSUM " + small.expectedDigest(), out.readLine());
      assertEquals("DONE", out.readLine());
    } finally {
      awaitExit(p);
    }
  }

  @Test
  void aReleasedRegionIsUnknownAlthoughItsFileLivesOnInThePool() throws Exception {
    AccessKey key = AccessKey.random();
    RegionMeta meta = writeRaw(dmerge, "gone", 3, 2 * MIB, key);
    try (MappedRegion r = dmerge.rmap(meta, key)) {
      assertEquals(-1, CrossProcessPeer.firstMismatch(r, 3));
    }
    dmerge.release("gone");
    assertEquals(1, pooled().size());
    assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(meta, key));
    assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(meta, AccessKey.random()));
    assertEquals(-1, dmerge.registeredSize("gone"));
    // Claimed under a new id, the file still does not answer to the old one.
    RegionMeta next = writeRaw(dmerge, "next", 4, MIB, key);
    assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(meta, key));
    assertThrows(DmergeException.AccessDenied.class, () -> dmerge.rmap(next, AccessKey.random()));
    // Another job never sees this job's regions, pooled or not.
    try (ShmDmerge other = ShmDmerge.create(roots.config("other-job"))) {
      assertThrows(DmergeException.UnknownRegion.class, () -> other.rmap(next, key));
      RegionMeta own = writeRaw(other, "own", 5, MIB, key);
      try (MappedRegion r = other.rmap(own, key)) {
        assertEquals(-1, CrossProcessPeer.firstMismatch(r, 5));
      }
    }
  }

  @Test
  void thePoolCapIsHonoured() throws Exception {
    try (ShmDmerge capped = ShmDmerge.create(roots.config("capped"), 2 * MIB)) {
      Path dir = roots.memoryRoot.resolve("capped");
      AccessKey key = AccessKey.random();
      for (int i = 0; i < 4; i++) {
        writeRaw(capped, "r" + i, i, MIB, key);
      }
      long inUse = capped.memoryBytes();
      assertEquals(4L * MIB, inUse);
      for (int i = 0; i < 4; i++) {
        capped.release("r" + i);
        assertTrue(capped.pooledBytes() <= 2 * MIB, "pool " + capped.pooledBytes() + " over its cap");
      }
      assertEquals(2L * MIB, capped.pooledBytes());
      try (Stream<Path> s = Files.list(dir.resolve("free"))) {
        assertEquals(2, s.count());
      }
      assertEquals(0, capped.memoryBytes());
      assertEquals(0, capped.registeredBytes(), "pooled files are not registered bytes");
      // A region larger than the room left in the pool is unlinked, not pooled.
      RegionMeta a = writeRaw(capped, "a", 9, 3 * MIB, key); // claims a pooled 1 MiB file and grows it
      assertEquals(MIB, capped.pooledBytes());
      capped.release("a");
      assertEquals(MIB, capped.pooledBytes());
      assertThrows(DmergeException.UnknownRegion.class, () -> capped.rmap(a, key));
    }
    try (ShmDmerge unpooled = ShmDmerge.create(roots.config("unpooled"), 0)) {
      AccessKey key = AccessKey.random();
      writeRaw(unpooled, "x", 1, MIB, key);
      unpooled.release("x");
      assertEquals(0, unpooled.pooledBytes());
      assertEquals(0, unpooled.cachedFiles(), "the unlinked file's mappings were dropped");
      try (Stream<Path> s = Files.list(roots.memoryRoot.resolve("unpooled"))) {
        assertEquals(List.of("owner"), s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("free")).toList());
      }
    }
  }

  @Test
  void ownerCloseLeavesNothingBehind() throws Exception {
    AccessKey key = AccessKey.random();
    for (int i = 0; i < 3; i++) {
      writeRaw(dmerge, "r" + i, i, (i + 1) * MIB, key);
    }
    dmerge.release("r0");
    dmerge.release("r1");
    try (ShmDmerge worker = ShmDmerge.attach(roots.config(JOB))) {
      RegionMeta m = writeRaw(worker, "w", 11, MIB, key);
      try (MappedRegion r = worker.rmap(new RegionMeta(TestRoots.NODE, "r2", 0), key)) {
        assertEquals(-1, CrossProcessPeer.firstMismatch(r, 2));
      }
      assertTrue(worker.cachedFiles() >= 1);
      worker.release(m.id());
    }
    assertTrue(Files.isDirectory(memDir), "a worker's close deletes nothing");
    dmerge.close();
    assertFalse(Files.exists(memDir));
    assertFalse(Files.exists(roots.spillRoot.resolve(JOB)));
    try (Stream<Path> s = Files.list(roots.memoryRoot)) {
      assertEquals(0, s.count());
    }
    assertEquals(0, dmerge.cachedFiles());
  }

  @Test
  void consumersHereAndInAnotherProcessReadCorrectBytesAcrossRecycleRounds() throws Exception {
    AccessKey key = AccessKey.random();
    // Smaller and larger than the round before, within one window and across windows.
    long[] sizes = {3 * MIB, 100 * 1024 + 8, 70L * MIB, 5 * MIB, 72L * MIB + 4096, 64L * MIB, 8};
    Process p = peer("rounds", "-", key, new Records(0, 0, 1, 1));
    Long ino = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8)) {
      for (int round = 0; round < sizes.length; round++) {
        String id = "round-" + round;
        long seed = 100 + round;
        RegionMeta meta = writeRaw(dmerge, id, seed, sizes[round], key);
        assertEquals(sizes[round], meta.size());
        long now = inode(memDir.resolve(id + ".region"));
        if (ino != null) {
          assertEquals(ino, now, "round " + round + " reuses the one pooled file");
        }
        ino = now;
        try (MappedRegion r = dmerge.rmap(meta, key)) {
          assertEquals(sizes[round], r.size());
          assertEquals(-1, CrossProcessPeer.firstMismatch(r, seed), "round " + round + " in this process");
        }
        assertEquals(1, dmerge.cachedFiles(), "producer and consumer here share one cached file");
        in.println("RAW " + id + " " + key.toHex() + " " + seed + " " + sizes[round]);
        assertEquals("OK 1", out.readLine(), "round " + round + " in the other process, which keeps one cached file");
        dmerge.release(id);
      }
      // The file leaves the pool (here: closing a capless owner is not needed; unlink it through a
      // zero-cap release) and the other process drops its mappings of the unlinked file.
      RegionMeta last;
      try (ShmDmerge unpooling = ShmDmerge.attach(roots.config(JOB), 0)) {
        last = writeRaw(unpooling, "last", 7, MIB, key);
        assertEquals(ino, inode(memDir.resolve("last.region")));
        in.println("RAW last " + key.toHex() + " 7 " + MIB);
        assertEquals("OK 1", out.readLine());
        unpooling.release("last");
        assertEquals(0, unpooling.cachedFiles());
      }
      assertEquals(0, dmerge.pooledBytes());
      assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(last, key));
      in.println("SWEEP");
      assertEquals("CACHED 0", out.readLine());
      dmerge.sweepMappings();
      assertEquals(0, dmerge.cachedFiles());
      in.println("END");
      assertEquals("DONE", out.readLine());
    } finally {
      awaitExit(p);
    }
    // A fresh file now: a different inode is possible, and the data is right.
    RegionMeta fresh = writeRaw(dmerge, "fresh", 42, 2 * MIB, key);
    try (MappedRegion r = dmerge.rmap(fresh, key)) {
      assertEquals(-1, CrossProcessPeer.firstMismatch(r, 42));
    }
    assertNotEquals(0, dmerge.memoryBytes());
  }
}
