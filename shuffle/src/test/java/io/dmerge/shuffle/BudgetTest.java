package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BudgetTest {
  private static final int MIB = 1 << 20;

  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;
  private Path memDir;
  private Path spillDir;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config("budget", 3 * MIB));
    memDir = roots.memoryRoot.resolve("budget");
    spillDir = roots.spillRoot.resolve("budget");
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  private RegionBuffer filled(String id, int bytes) {
    RegionBuffer buffer = dmerge.allocate(id);
    ByteBuffer b = buffer.block(buffer.allocate(bytes), bytes);
    for (int i = 0; i < bytes; i += 4) {
      b.putInt(i, id.hashCode() ^ i);
    }
    return buffer;
  }

  private void assertContent(RegionMeta meta, AccessKey key) {
    try (MappedRegion r = dmerge.rmap(meta, key)) {
      ByteBuffer b = r.slice(0, (int) r.size());
      for (int i = 0; i < r.size(); i += 4) {
        if (b.getInt(i) != (meta.id().hashCode() ^ i)) {
          throw new AssertionError(meta.id() + " differs at " + i);
        }
      }
    }
  }

  @Test
  void regionsPastTheBudgetGoToTheSpillDirectoryAndStillRmap() {
    AccessKey key = AccessKey.random();
    RegionBuffer a = filled("a", 2 * MIB);
    assertEquals(memDir, a.file().getParent());
    RegionMeta ma = dmerge.register(a, key);

    RegionBuffer b = filled("b", 2 * MIB); // 2 MiB in use < 3 MiB budget: still memory
    assertEquals(memDir, b.file().getParent());
    RegionMeta mb = dmerge.register(b, key);

    RegionBuffer c = filled("c", 5 * MIB); // 4 MiB in use >= budget: spilled
    assertEquals(spillDir, c.file().getParent());
    RegionMeta mc = dmerge.register(c, key);

    // A segment spills the same way and reads back through the same rmap.
    Records records = new Records(9, 2000, 8, 4096);
    RegionBuffer d = dmerge.allocate("d");
    assertEquals(spillDir, d.file().getParent());
    SegmentWriter w = new SegmentWriter(d, records.partitions, records.blockBytes);
    records.writeTo(w);
    w.finish();
    RegionMeta md = dmerge.register(d, key);

    assertEquals(4L * MIB, dmerge.memoryBytes());
    assertEquals(4L * MIB + 5 * MIB + md.size(), dmerge.registeredBytes());
    assertContent(ma, key);
    assertContent(mb, key);
    assertContent(mc, key);
    try (MappedRegion r = dmerge.rmap(md, key)) {
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(r)));
    }
    org.junit.jupiter.api.Assertions.assertThrows(
        DmergeException.AccessDenied.class, () -> dmerge.rmap(mc, AccessKey.random()));

    // Releasing memory regions frees budget for new ones; a released spilled region is unknown.
    dmerge.release("a");
    dmerge.release("b");
    dmerge.release("c");
    org.junit.jupiter.api.Assertions.assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(mc, key));
    assertEquals(0, dmerge.memoryBytes());
    RegionBuffer e = filled("e", MIB);
    assertEquals(memDir, e.file().getParent());
    assertContent(dmerge.register(e, key), key);
  }

  @Test
  void zeroBudgetSpillsEverything() {
    try (ShmDmerge d = ShmDmerge.create(roots.config("all-spill", 0))) {
      AccessKey key = AccessKey.random();
      RegionBuffer buffer = d.allocate("x");
      assertEquals(roots.spillRoot.resolve("all-spill"), buffer.file().getParent());
      buffer.block(buffer.allocate(100), 100).put(0, (byte) 42);
      RegionMeta m = d.register(buffer, key);
      try (MappedRegion r = d.rmap(m, key)) {
        assertEquals(42, r.slice(0, 1).get());
      }
      assertEquals(0, d.memoryBytes());
      assertEquals(100, d.registeredBytes());
    }
  }

  /**
   * A write into a mapped tmpfs page the file system cannot supply is a SIGBUS, so a nearly full
   * memory root (a container's 64 MiB /dev/shm) must send regions to the spill directory however
   * large the budget. Needs a small tmpfs of its own, so it runs where mount(8) works (root).
   */
  @Test
  void aNearlyFullMemoryFileSystemSendsRegionsToTheSpillDirectory() throws Exception {
    Path small = java.nio.file.Files.createTempDirectory(Path.of("/dev/shm"), "dmerge-small-tmpfs-");
    boolean mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", small.toString())
        .inheritIO().start().waitFor() == 0;
    org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "mounting a tmpfs needs root");
    try {
      Path spill = tmp.resolve("small-spill");
      ShmDmerge onSmall =
          ShmDmerge.create(new io.dmerge.shuffle.shm.ShmConfig("small", small, spill, Long.MAX_VALUE, TestRoots.NODE));
      try {
        RegionBuffer region = onSmall.allocate("r");
        ByteBuffer b = region.block(region.allocate(48 * MIB), 48 * MIB); // more than the tmpfs holds
        for (int i = 0; i < 48 * MIB; i += 4096) {
          b.put(i, (byte) 1);
        }
        assertEquals(spill.resolve("small"), region.file().getParent());
        AccessKey key = AccessKey.random();
        try (MappedRegion r = onSmall.rmap(onSmall.register(region, key), key)) {
          assertEquals(1, r.slice(47 * MIB, 1).get(0));
        }
      } finally {
        onSmall.close();
      }
    } finally {
      // Lazy: a mapping left open by a failed assertion must not keep the mount behind.
      new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
      java.nio.file.Files.deleteIfExists(small);
    }
  }
}
