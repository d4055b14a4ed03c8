package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrossProcessTest {
  private static final String JOB = "cross";

  @TempDir Path tmp;
  private TestRoots roots;
  private ShmDmerge dmerge;
  private final Records records = new Records(7, 3000, 16, 8192);

  @BeforeEach
  void setUp() {
    roots = new TestRoots(tmp);
    dmerge = ShmDmerge.create(roots.config(JOB));
  }

  @AfterEach
  void tearDown() {
    dmerge.close();
    roots.close();
  }

  private Process peer(String mode, String id, AccessKey key) throws IOException {
    return CrossProcessPeer.start(mode, roots.config(JOB), id, key, records);
  }

  private static String expectLine(BufferedReader out, String prefix) throws IOException {
    String line = out.readLine();
    assertTrue(line != null && line.startsWith(prefix), "peer printed '" + line + "', expected " + prefix);
    return line.substring(prefix.length()).trim();
  }

  @Test
  void anotherProcessRmapsWhatThisProcessRegistered() throws Exception {
    RegionBuffer buffer = dmerge.allocate("from-test");
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
    records.writeTo(writer);
    writer.finish();
    AccessKey key = AccessKey.random();
    dmerge.register(buffer, key);

    Process p = peer("consume", "from-test", key);
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("", expectLine(out, "DENIED"));
      assertEquals(Long.toString(records.count), expectLine(out, "RECORDS"));
      assertEquals(records.expectedDigest(), expectLine(out, "CHECKSUM"));
      expectLine(out, "DONE");
    } finally {
      awaitExit(p);
    }
    assertEquals(0, p.exitValue());
    // The consumer's exit does not take the region with it.
    assertStillReadable("from-test", key);
  }

  @Test
  void thisProcessRmapsWhatAnotherProcessRegistered() throws Exception {
    AccessKey key = AccessKey.random();
    Process p = peer("produce", "from-peer", key);
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        OutputStream in = p.getOutputStream()) {
      String[] registered = expectLine(out, "REGISTERED").split(" ");
      long size = Long.parseLong(registered[0]);
      assertEquals(p.pid(), Long.parseLong(registered[1]));
      String peerDigest = expectLine(out, "CHECKSUM");
      assertEquals(records.expectedDigest(), peerDigest);
      RegionMeta meta = new RegionMeta(TestRoots.NODE, "from-peer", size);
      org.junit.jupiter.api.Assertions.assertThrows(
          DmergeException.AccessDenied.class, () -> dmerge.rmap(meta, AccessKey.random()));
      try (MappedRegion region = dmerge.rmap(meta, key)) {
        assertEquals(size, region.size());
        SegmentReader reader = new SegmentReader(region);
        assertEquals(records.count, reader.records());
        assertEquals(peerDigest, Records.digest(reader));
      }
      in.write('\n');
      in.flush();
      expectLine(out, "DONE");
    } finally {
      awaitExit(p);
    }
    assertEquals(0, p.exitValue());
    // The producer was a worker: its exit leaves the region to the job, which the owner releases.
    assertStillReadable("from-peer", key);
  }

  private void assertStillReadable(String id, AccessKey key) {
    try (MappedRegion region = dmerge.rmap(new RegionMeta(TestRoots.NODE, id, 0), key)) {
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
    }
  }

  /** Waits for the peer to exit; kills it and fails if it does not. */
  private static void awaitExit(Process p) throws InterruptedException {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("peer did not exit");
    }
  }
}
