package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleTest {
  private static final int MIB = 1 << 20;

  @TempDir Path tmp;
  private TestRoots roots;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
  }

  @AfterEach
  void tearDown() {
    roots.close();
  }

  private static RegionMeta registerFilled(ShmDmerge d, String id, int bytes, AccessKey key) {
    RegionBuffer buffer = d.allocate(id);
    ByteBuffer b = buffer.block(buffer.allocate(bytes), bytes);
    for (int i = 0; i + 8 <= bytes; i += 8) {
      b.putLong(i, id.hashCode() * 31L + i);
    }
    return d.register(buffer, key);
  }

  private static void assertFilled(MappedRegion r) {
    ByteBuffer b = r.slice(0, (int) r.size());
    String id = r.meta().id();
    for (int i = 0; i + 8 <= r.size(); i += 8) {
      if (b.getLong(i) != id.hashCode() * 31L + i) {
        throw new AssertionError(id + " differs at " + i);
      }
    }
  }

  @Test
  void closeLeavesNothingInTheJobDirectories() throws Exception {
    AccessKey key = AccessKey.random();
    ShmDmerge d = ShmDmerge.create(roots.config("job", 3 * MIB));
    Path memDir = roots.memoryRoot.resolve("job");
    Path spillDir = roots.spillRoot.resolve("job");
    RegionMeta first = registerFilled(d, "m0", 4 * MIB, key);
    registerFilled(d, "s0", MIB, key); // past the budget: spilled
    RegionBuffer unfinished = d.allocate("unfinished");
    unfinished.block(unfinished.allocate(4096), 4096).put((byte) 1);
    MappedRegion stillMapped = d.rmap(first, key);
    try (ShmDmerge worker = ShmDmerge.attach(roots.config("job"))) {
      try (MappedRegion r = worker.rmap(first, key)) {
        assertFilled(r);
      }
    }
    // A worker's close must not delete the job's regions.
    assertEquals(List.of("m0.meta", "m0.region", "owner"), names(memDir));
    assertEquals(List.of("owner", "s0.meta", "s0.region", "unfinished.region"), names(spillDir));

    d.close();

    assertFalse(Files.exists(memDir), "memory job directory left behind");
    assertFalse(Files.exists(spillDir), "spill job directory left behind");
    assertEquals(0, TestRoots.entriesBelow(roots.memoryRoot));
    assertEquals(0, TestRoots.entriesBelow(roots.spillRoot));
    // A consumer's open mapping outlives the files (the pages go when it unmaps).
    assertFilled(stillMapped);
    stillMapped.close();
    assertThrows(IllegalStateException.class, () -> stillMapped.slice(0, 8));
    assertThrows(DmergeException.class, () -> ShmDmerge.attach(roots.config("job")));
    d.close(); // idempotent
  }

  @Test
  void orphansOfDeadDriversAreReclaimedAtTheNextCreate() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
    long deadPid = gone.pid();
    assertFalse(ProcessHandle.of(deadPid).map(ProcessHandle::isAlive).orElse(false));

    Path deadMem = job(roots.memoryRoot, "dead", Long.toString(deadPid));
    Path deadSpill = job(roots.spillRoot, "dead", Long.toString(deadPid));
    Path live = job(roots.memoryRoot, "live", Long.toString(ProcessHandle.current().pid()));
    Path garbled = job(roots.memoryRoot, "garbled", "not-a-pid");
    Path ownerlessOld = job(roots.memoryRoot, "ownerless-old", null);
    Files.setLastModifiedTime(ownerlessOld, FileTime.from(Instant.now().minusSeconds(3600)));
    Path ownerlessNew = job(roots.memoryRoot, "ownerless-new", null); // a create() in progress

    try (ShmDmerge d = ShmDmerge.create(roots.config("next"))) {
      assertFalse(Files.exists(deadMem), "dead driver's memory directory survived");
      assertFalse(Files.exists(deadSpill), "dead driver's spill directory survived");
      assertFalse(Files.exists(ownerlessOld), "old directory without owner survived");
      assertTrue(Files.exists(live.resolve("x.region")), "a live driver's region was reclaimed");
      assertTrue(Files.exists(garbled), "unreadable owner: kept, to be safe");
      assertTrue(Files.exists(ownerlessNew), "a directory being created was reclaimed");
      assertEquals(0, d.registeredBytes());
    }
  }

  @Test
  void killedDriverJvmIsReclaimed() throws Exception {
    Records records = new Records(1, 500, 4, 4096);
    AccessKey key = AccessKey.random();
    ShmConfig c = roots.config("killed");
    Path memDir = roots.memoryRoot.resolve("killed");
    Process driver =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                CrossProcessPeer.class.getName(),
                "own", c.memoryRoot().toString(), c.spillRoot().toString(), c.jobId(), c.node(), "r", key.toHex(),
                "1", "500", "4", "4096")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
        String line = out.readLine();
        assertTrue(line != null && line.startsWith("OWNING"), "driver printed " + line);
      }
      // While the driver lives, its job is there and readable, and another create leaves it alone.
      try (ShmDmerge other = ShmDmerge.create(roots.config("bystander"));
          ShmDmerge worker = ShmDmerge.attach(c);
          MappedRegion r = worker.rmap(new RegionMeta(TestRoots.NODE, "r", 0), key)) {
        assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(r)));
      }
      assertTrue(Files.exists(memDir));

      driver.destroyForcibly();
      assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
      assertTrue(Files.exists(memDir.resolve("r.region")), "kill -9 runs no cleanup: the orphan is there");
    } finally {
      driver.destroyForcibly();
    }
    try (ShmDmerge next = ShmDmerge.create(roots.config("after"))) {
      assertFalse(Files.exists(memDir));
      assertFalse(Files.exists(roots.spillRoot.resolve("killed")));
      assertEquals(List.of("after"), names(roots.memoryRoot));
    }
  }

  @Test
  void aJobIdInUseCannotBeCreatedTwice() {
    try (ShmDmerge d = ShmDmerge.create(roots.config("once"))) {
      assertThrows(RuntimeException.class, () -> ShmDmerge.create(roots.config("once")));
      assertEquals(0, d.registeredBytes());
    }
  }

  @Test
  void configSurvivesJavaSerialization() throws Exception {
    ShmConfig c = roots.config("ser", 123);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(c, in.readObject());
    }
  }

  private static Path job(Path root, String name, String owner) throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    if (owner != null) {
      Files.writeString(dir.resolve("owner"), owner);
    }
    Files.write(dir.resolve("x.region"), new byte[4096]);
    Files.writeString(dir.resolve("x.meta"), "4096\n00\n");
    if (owner == null) {
      Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
    }
    return dir;
  }

  private static List<String> names(Path root) throws Exception {
    try (var s = Files.list(root)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
