package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessTest {
  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config("job-a"));
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  private RegionMeta registerBytes(ShmDmerge d, String id, AccessKey key, int n) {
    RegionBuffer buffer = d.allocate(id);
    ByteBuffer b = buffer.block(buffer.allocate(n), n);
    for (int i = 0; i < n; i++) {
      b.put((byte) i);
    }
    return d.register(buffer, key);
  }

  @Test
  void wrongKeyIsDenied() {
    AccessKey key = AccessKey.random();
    RegionMeta meta = registerBytes(dmerge, "r1", key, 4096);
    AccessKey other = AccessKey.random();
    assertFalse(key.matches(other));
    assertThrows(DmergeException.AccessDenied.class, () -> dmerge.rmap(meta, other));
    byte[] flipped = key.bytes();
    flipped[15] ^= 1; // one bit off
    assertThrows(DmergeException.AccessDenied.class, () -> dmerge.rmap(meta, AccessKey.fromHex(
        java.util.HexFormat.of().formatHex(flipped))));
    // The right key, also rebuilt from its hex form as a consumer in another process would.
    try (MappedRegion r = dmerge.rmap(meta, AccessKey.fromHex(key.toHex()))) {
      assertEquals(4096, r.size());
      assertEquals(7, r.slice(7, 1).get());
    }
  }

  @Test
  void keyDoesNotLeakThroughToStringOrTheRegistry() throws Exception {
    AccessKey key = AccessKey.random();
    registerBytes(dmerge, "r1", key, 16);
    assertFalse(key.toString().contains(key.toHex()));
    String meta = Files.readString(roots.memoryRoot.resolve("job-a").resolve("r1.meta"));
    assertFalse(meta.contains(key.toHex()), "the registry stores a digest, not the key");
    assertThrows(IllegalArgumentException.class, () -> AccessKey.fromHex("00ff"));
  }

  @Test
  void unknownIdIsUnknown() {
    RegionMeta never = new RegionMeta(TestRoots.NODE, "never-registered", 10);
    assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(never, AccessKey.random()));
  }

  @Test
  void allocatedButUnregisteredRegionIsUnknown() {
    RegionBuffer buffer = dmerge.allocate("pending");
    buffer.block(buffer.allocate(64), 64).put((byte) 1);
    RegionMeta guess = new RegionMeta(TestRoots.NODE, "pending", 64);
    assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(guess, AccessKey.random()));
    buffer.close();
  }

  @Test
  void releasedRegionIsUnknownButOpenMappingsStayValid() {
    AccessKey key = AccessKey.random();
    RegionMeta meta = registerBytes(dmerge, "r1", key, 8192);
    long before = dmerge.registeredBytes();
    try (MappedRegion open = dmerge.rmap(meta, key)) {
      dmerge.release("r1");
      assertThrows(DmergeException.UnknownRegion.class, () -> dmerge.rmap(meta, key));
      assertEquals(before - 8192, dmerge.registeredBytes());
      ByteBuffer b = open.slice(0, 8192);
      for (int i = 0; i < 8192; i++) {
        assertEquals((byte) i, b.get(i));
      }
    }
    dmerge.release("r1"); // releasing twice is harmless
  }

  @Test
  void aJobCannotSeeAnotherJobsRegion() {
    AccessKey key = AccessKey.random();
    RegionMeta meta = registerBytes(dmerge, "shared-name", key, 100);
    try (ShmDmerge jobB = ShmDmerge.create(roots.config("job-b"))) {
      // Same id, same key, same node: still invisible from job B.
      assertThrows(DmergeException.UnknownRegion.class, () -> jobB.rmap(meta, key));
      // Job B may use the same id for its own region without touching job A's.
      AccessKey keyB = AccessKey.random();
      RegionMeta metaB = registerBytes(jobB, "shared-name", keyB, 50);
      assertThrows(DmergeException.AccessDenied.class, () -> dmerge.rmap(metaB, keyB));
      try (MappedRegion a = dmerge.rmap(meta, key)) {
        assertEquals(100, a.size());
      }
      // A worker attached to job B does not see job A's region either.
      try (ShmDmerge workerB = ShmDmerge.attach(roots.config("job-b"))) {
        assertThrows(DmergeException.UnknownRegion.class, () -> workerB.rmap(new RegionMeta(TestRoots.NODE, "other", 1), key));
      }
    }
  }

  @Test
  void attachingToAMissingJobFails() {
    assertThrows(DmergeException.class, () -> ShmDmerge.attach(roots.config("no-such-job")));
  }

  @Test
  void regionOfAnotherNodeIsRejected() {
    AccessKey key = AccessKey.random();
    RegionMeta meta = registerBytes(dmerge, "r1", key, 10);
    RegionMeta remote = new RegionMeta("other-node", meta.id(), meta.size());
    DmergeException e = assertThrows(DmergeException.class, () -> dmerge.rmap(remote, key));
    assertNotEquals(DmergeException.UnknownRegion.class, e.getClass());
  }

  @Test
  void idsThatAreNotPlainFileNamesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> dmerge.allocate("../escape"));
    assertThrows(IllegalArgumentException.class, () -> dmerge.allocate(".hidden"));
    assertThrows(IllegalArgumentException.class, () -> dmerge.allocate(".."));
    assertThrows(IllegalArgumentException.class, () -> roots.config(".."));
    assertThrows(IllegalArgumentException.class, () -> roots.config("../job-b"));
    assertThrows(IllegalArgumentException.class,
        () -> dmerge.rmap(new RegionMeta(TestRoots.NODE, "../job-b/x", 1), AccessKey.random()));
  }
}
