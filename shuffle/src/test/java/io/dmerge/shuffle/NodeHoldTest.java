package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.remote.JobLeases;
import io.dmerge.shuffle.remote.NodeAgent;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.remote.NodeLease;
import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver's hold on a job's directories on another node, through that node's agent: the agent
 * makes them, releases regions in them, and deletes them when the hold ends, whether the driver
 * ends it or dies; an agent that starts deletes what an earlier one held. Node A runs the agent;
 * node B plays a consumer on another node.
 */
class NodeHoldTest {
  private static final String A = "node-a";
  private static final String B = "node-b";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path tmp;
  private TestRoots rootsA;
  private TestRoots rootsB;
  private NodeAgent agent;

  @BeforeEach
  void setUp() {
    rootsA = new TestRoots(tmp.resolve("a"));
    rootsB = new TestRoots(tmp.resolve("b"));
    agent = startAgent();
  }

  private NodeAgent startAgent() {
    return NodeAgent.start(A, rootsA.memoryRoot, rootsA.spillRoot, new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterEach
  void tearDown() {
    agent.close();
    rootsA.close();
    rootsB.close();
  }

  private NodeLease hold(String job) {
    return NodeLease.hold(A, agent.address(), job, Long.MAX_VALUE, TIMEOUT);
  }

  private Path memoryDir(String job) {
    return rootsA.memoryRoot.resolve(job);
  }

  /** Waits (at most 10 s) for something another process does after this one's call returned. */
  private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      Thread.sleep(20);
    }
  }

  private static RegionMeta writeSegment(Dmerge d, String id, Records records, AccessKey key) {
    RegionBuffer buffer = d.allocate(id);
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
    records.writeTo(writer);
    writer.finish();
    return d.register(buffer, key);
  }

  @Test
  void aHoldMakesTheJobsDirectoriesServesAndReleasesItsRegionsAndItsEndDeletesThem() throws Exception {
    NodeLease lease = hold("job-h");
    ShmConfig onA = lease.job();
    assertEquals(new ShmConfig("job-h", rootsA.memoryRoot, rootsA.spillRoot, Long.MAX_VALUE, A), onA, "the agent's roots");
    assertEquals("agent", Files.readString(memoryDir("job-h").resolve("owner")));
    assertEquals("agent", Files.readString(rootsA.spillRoot.resolve("job-h").resolve("owner")));

    // A worker on node A writes into the held job; a consumer on node B fetches through the agent.
    Records records = new Records(3, 500, 4, 1024);
    AccessKey key = AccessKey.random();
    RegionMeta meta;
    try (ShmDmerge worker = ShmDmerge.attach(onA)) {
      meta = writeSegment(worker, "seg", records, key);
    }
    ShmConfig onB = rootsB.config("job-h");
    try (ShmDmerge local = ShmDmerge.create(onB);
        Dmerge consumer = new io.dmerge.shuffle.remote.RemoteDmerge(local, onB, NodeDirectory.parse(A + "=127.0.0.1:" + agent.address().getPort()), TIMEOUT);
        MappedRegion region = consumer.rmap(meta, key)) {
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
    }
    assertEquals(1, agent.servedRegions());

    lease.release("seg");
    eventually(() -> !Files.exists(memoryDir("job-h").resolve("seg.meta")), "the agent released the region");

    lease.close();
    assertFalse(Files.exists(memoryDir("job-h")), "gone when close returns");
    assertFalse(Files.exists(rootsA.spillRoot.resolve("job-h")));
    assertEquals(0, agent.attachedJobs());
  }

  @Test
  void aJobIsHeldOnceAndOnlyOnTheAgentsNode() {
    try (NodeLease lease = hold("job-once")) {
      DmergeException again = assertThrows(DmergeException.class, () -> hold("job-once"));
      assertTrue(again.getMessage().contains("already has directories on node " + A), again.getMessage());
      assertTrue(Files.isDirectory(memoryDir("job-once")), "the refused hold did not end the first");
    }
    DmergeException wrongNode =
        assertThrows(DmergeException.class, () -> NodeLease.hold(B, agent.address(), "job-b", 0, TIMEOUT));
    assertTrue(wrongNode.getMessage().contains("serves node " + A) && wrongNode.getMessage().contains("node " + B),
        wrongNode.getMessage());
    assertThrows(DmergeException.class, () -> hold(".."));
  }

  @Test
  void anUnreachableAgentIsNamedWithItsNodeAndAddress() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    JobLeases leases = new JobLeases(NodeDirectory.parse(A + "=127.0.0.1:" + closedPort), "job-u", 0, TIMEOUT);
    DmergeException e = assertThrows(DmergeException.class, () -> leases.on(A));
    assertTrue(e.getMessage().contains("node " + A) && e.getMessage().contains(":" + closedPort), e.getMessage());
    DmergeException missing = assertThrows(DmergeException.class, () -> leases.on(B));
    assertTrue(missing.getMessage().contains("no node agent address for node " + B), missing.getMessage());
  }

  /**
   * A driver that dies without ending its hold: a HOLD written by hand in the documented format
   * (shuffle/README.md), then the socket closes as a dying process's would.
   */
  @Test
  void aDriverThatDiesEndsItsHold() throws Exception {
    byte[] node = A.getBytes(StandardCharsets.UTF_8);
    byte[] job = "job-d".getBytes(StandardCharsets.UTF_8);
    ByteBuffer request = ByteBuffer.allocate(19 + node.length + job.length);
    request.putInt(0x444D5241).putShort((short) 2).put((byte) 2).putShort((short) node.length)
        .putShort((short) job.length).putLong(1 << 20).put(node).put(job);
    try (Socket driver = new Socket(agent.address().getAddress(), agent.address().getPort())) {
      driver.getOutputStream().write(request.array());
      DataInputStream in = new DataInputStream(driver.getInputStream());
      assertEquals(0x444D5241, in.readInt());
      assertEquals(2, in.readShort());
      assertEquals(0, in.readByte(), "OK");
      in.readLong();
      assertEquals(rootsA.memoryRoot.toString(), in.readUTF()); // 2-byte length and the path
      assertEquals(rootsA.spillRoot.toString(), in.readUTF());
      assertTrue(Files.isDirectory(memoryDir("job-d")));
    }
    // The agent deletes the memory directory, then the spill directory: wait for both.
    eventually(
        () -> !Files.exists(memoryDir("job-d")) && !Files.exists(rootsA.spillRoot.resolve("job-d")),
        "the agent deleted the dead driver's directories");
  }

  @Test
  void anAgentThatStartsDeletesWhatAnEarlierAgentHeldAndNothingElse() {
    agent.close();
    // What an agent that died left behind, and a job of a driver on this node, which is alive.
    ShmDmerge.createHeld(new ShmConfig("job-left", rootsA.memoryRoot, rootsA.spillRoot, 0, A));
    try (ShmDmerge driverHere = ShmDmerge.create(new ShmConfig("job-here", rootsA.memoryRoot, rootsA.spillRoot, 0, A))) {
      // Reclaim by pid (any ShmDmerge.create on the node) does not take a held directory for an orphan.
      ShmDmerge.create(new ShmConfig("job-other", rootsA.memoryRoot, rootsA.spillRoot, 0, A)).close();
      assertTrue(Files.isDirectory(memoryDir("job-left")));
      agent = startAgent();
      assertFalse(Files.exists(memoryDir("job-left")));
      assertFalse(Files.exists(rootsA.spillRoot.resolve("job-left")));
      assertTrue(Files.isDirectory(memoryDir("job-here")), "a driver's own job stays");
    }
  }
}
