package io.dmerge.shuffle.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node directory's parsing and the agent's job attachments, without sockets. */
class AgentPartsTest {
  @TempDir Path tmp;

  @Test
  void nodeDirectoryParsesAndNamesMissingNodes() {
    NodeDirectory d = NodeDirectory.parse(" nodeA=127.0.0.1:7070 , nodeB=localhost:7071,");
    assertEquals(new InetSocketAddress("127.0.0.1", 7070), d.agent("nodeA"));
    assertEquals(7071, d.agent("nodeB").getPort());
    DmergeException missing = assertThrows(DmergeException.class, () -> d.agent("nodeC"));
    assertTrue(missing.getMessage().contains("nodeC"), missing.getMessage());
    for (String bad : new String[] {"nodeA", "nodeA=host", "nodeA=host:", "=host:1", "nodeA=host:x",
        "nodeA=host:70000", "nodeA=h:1,nodeA=h:2"}) {
      assertThrows(IllegalArgumentException.class, () -> NodeDirectory.parse(bad), bad);
    }
    assertEquals("nodeA=127.0.0.1:7070,nodeB=localhost:7071", d.spec());
    assertEquals(d.spec(), NodeDirectory.parse(d.spec()).spec());
    assertEquals(java.util.Set.of("nodeA", "nodeB"), d.nodes());
  }

  @Test
  void heldJobsStayWhenIdleAndGoWithTheirDirectoriesWhenTheHoldEnds() {
    Path memory = tmp.resolve("memory");
    Path spill = tmp.resolve("spill");
    try (AgentJobs jobs = new AgentJobs("n", memory, spill, Duration.ZERO)) {
      ShmConfig held = jobs.hold("job", 1 << 20);
      assertEquals(new ShmConfig("job", memory, spill, 1 << 20, "n"), held);
      jobs.use("job", "r").close();
      jobs.closeIdle();
      assertEquals(1, jobs.attached(), "a held job is not an idle attachment");
      assertThrows(DmergeException.class, () -> jobs.release("other", "r"));
      jobs.release("job", "never-registered");
      jobs.end("job");
      assertEquals(0, jobs.attached());
      assertTrue(java.nio.file.Files.notExists(held.memoryDirectory()));
      assertTrue(java.nio.file.Files.notExists(spill.resolve("job")));
    }
  }

  @Test
  void attachmentsCloseWhenIdleButNotWhileInUse() {
    Path memory = tmp.resolve("memory");
    Path spill = tmp.resolve("spill");
    try (ShmDmerge owner = ShmDmerge.create(new ShmConfig("job", memory, spill, Long.MAX_VALUE, "n"));
        AgentJobs jobs = new AgentJobs("n", memory, spill, Duration.ZERO)) {
      assertThrows(DmergeException.UnknownRegion.class, () -> jobs.use("no-such-job", "r"));
      assertThrows(IllegalArgumentException.class, () -> jobs.use("..", "r"));
      AgentJobs.Use use = jobs.use("job", "r");
      jobs.use("job", "r").close();
      assertEquals(1, jobs.attached(), "one attachment per job");
      jobs.closeIdle();
      assertEquals(1, jobs.attached(), "still in use");
      use.close();
      jobs.closeIdle();
      assertEquals(0, jobs.attached());
    }
  }
}
