package io.dmerge.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.shuffle.remote.NodeAgent;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.remote.RemoteDmerge;
import io.dmerge.shuffle.segment.SegmentReader;
import io.dmerge.shuffle.segment.SegmentWriter;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote rmap through the node agent, with two nodes played on this machine: node A (producer,
 * agent on 127.0.0.1) and node B (consumer), each with its own memory and spill roots.
 */
class RemoteRmapTest {
  private static final String JOB = "job-r";
  private static final String A = "node-a";
  private static final String B = "node-b";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path tmp;
  private TestRoots rootsA;
  private TestRoots rootsB;
  private ShmDmerge producer;
  private NodeAgent agent;
  /** Node B's Dmerge per job; several consumers of a test may wrap the same one. */
  private final Map<String, ShmDmerge> nodeB = new HashMap<>();

  @BeforeEach
  void setUp() {
    rootsA = new TestRoots(tmp.resolve("a"));
    rootsB = new TestRoots(tmp.resolve("b"));
    producer = ShmDmerge.create(config(rootsA, JOB, A, Long.MAX_VALUE));
    agent = NodeAgent.start(A, rootsA.memoryRoot, rootsA.spillRoot, new InetSocketAddress("127.0.0.1", 0),
        TIMEOUT, NodeAgent.DEFAULT_IDLE);
  }

  @AfterEach
  void tearDown() {
    nodeB.values().forEach(ShmDmerge::close);
    agent.close();
    producer.close();
    rootsA.close();
    rootsB.close();
  }

  private static ShmConfig config(TestRoots roots, String job, String node, long budget) {
    return new ShmConfig(job, roots.memoryRoot, roots.spillRoot, budget, node);
  }

  private String agentSpec(InetSocketAddress address) {
    return A + "=127.0.0.1:" + address.getPort();
  }

  /** The job's Dmerge on node B, rmapping node A's regions through {@code agentOfA}. */
  private RemoteDmerge consumer(String job, String directory, Duration timeout) {
    ShmConfig b = config(rootsB, job, B, Long.MAX_VALUE);
    return new RemoteDmerge(nodeB.computeIfAbsent(job, j -> ShmDmerge.create(b)), b, NodeDirectory.parse(directory), timeout);
  }

  private RemoteDmerge consumer() {
    return consumer(JOB, agentSpec(agent.address()), TIMEOUT);
  }

  private static RegionMeta writeSegment(Dmerge d, String id, Records records, AccessKey key) {
    RegionBuffer buffer = d.allocate(id);
    SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
    records.writeTo(writer);
    writer.finish();
    return d.register(buffer, key);
  }

  /** Entries in node B's job directory other than the registry's owner file. */
  private List<String> consumerFiles(String job) throws IOException {
    try (Stream<Path> s = Files.list(rootsB.memoryRoot.resolve(job))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("owner")).toList();
    }
  }

  /** Fetched files this process still has open or mapped (they are unlinked, so only /proc shows them). */
  private static long openFetchedFiles() throws IOException {
    long n = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("/.remote-")).count();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          if (Files.readSymbolicLink(fd).toString().contains("/.remote-")) {
            n++;
          }
        } catch (IOException e) {
          // the fd of the listing itself, closed by now
        }
      }
    }
    return n;
  }

  @Test
  void segmentOfAnotherNodeReadsBackThroughTheAgent() throws IOException {
    Records records = new Records(11, 3000, 7, 4096);
    AccessKey key = AccessKey.random();
    RegionMeta meta = writeSegment(producer, "seg", records, key);
    assertEquals(A, meta.node());
    RemoteDmerge consumer = consumer();
    try (MappedRegion region = consumer.rmap(meta, AccessKey.fromHex(key.toHex()))) {
      assertEquals(meta.size(), region.size());
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
      assertEquals(List.of(), consumerFiles(JOB), "the fetched file is unlinked at once");
      assertTrue(openFetchedFiles() > 0, "the region is served from the unlinked file");
      assertEquals(1, agent.attachedJobs());
    }
    assertEquals(0, openFetchedFiles(), "closing the region leaves nothing on the consumer side");
    // A region of the consumer's own node is the local rmap, not a fetch.
    RegionMeta own = writeSegment(consumer, "own", records, key);
    try (MappedRegion region = consumer.rmap(own, key)) {
      assertEquals(0, openFetchedFiles());
      assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
    }
  }

  @Test
  void wrongKeyIsDenied() {
    RegionMeta meta = writeSegment(producer, "seg", new Records(1, 10, 2, 256), AccessKey.random());
    assertThrows(DmergeException.AccessDenied.class, () -> consumer().rmap(meta, AccessKey.random()));
  }

  @Test
  void unknownReleasedAndOtherJobsRegionsAreUnknown() {
    AccessKey key = AccessKey.random();
    RegionMeta meta = writeSegment(producer, "seg", new Records(1, 10, 2, 256), key);
    RemoteDmerge consumer = consumer();
    assertThrows(DmergeException.UnknownRegion.class, () -> consumer.rmap(new RegionMeta(A, "never", 10), key));
    RemoteDmerge otherJob = consumer("job-other", agentSpec(agent.address()), TIMEOUT);
    assertThrows(DmergeException.UnknownRegion.class, () -> otherJob.rmap(meta, key));
    consumer.rmap(meta, key).close();
    producer.release("seg");
    assertThrows(DmergeException.UnknownRegion.class, () -> consumer.rmap(meta, key));
  }

  @Test
  void spilledRegionIsServed() {
    try (ShmDmerge spilling = ShmDmerge.create(config(rootsA, "job-spill", A, 0))) {
      Records records = new Records(5, 500, 3, 1024);
      AccessKey key = AccessKey.random();
      RegionBuffer buffer = spilling.allocate("seg");
      assertFalse(spilling.inMemory(buffer), "a zero budget spills");
      SegmentWriter writer = new SegmentWriter(buffer, records.partitions, records.blockBytes);
      records.writeTo(writer);
      writer.finish();
      RegionMeta meta = spilling.register(buffer, key);
      RemoteDmerge consumer = consumer("job-spill", agentSpec(agent.address()), TIMEOUT);
      try (MappedRegion region = consumer.rmap(meta, key)) {
        assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
      }
    }
  }

  @Test
  void agentDyingMidTransferFailsAndLeavesNothing() throws Exception {
    AccessKey key = AccessKey.random();
    RegionMeta meta = writeSegment(producer, "seg", new Records(2, 3000, 5, 4096), key);
    try (CuttingProxy proxy = new CuttingProxy(agent.address(), meta.size() / 2)) {
      RemoteDmerge consumer = consumer(JOB, A + "=127.0.0.1:" + proxy.port(), TIMEOUT);
      DmergeException e = assertThrows(DmergeException.class, () -> consumer.rmap(meta, key));
      assertEquals(DmergeException.class, e.getClass());
      assertTrue(e.getMessage().contains("closed the connection after"), e.getMessage());
      assertEquals(List.of(), consumerFiles(JOB));
      assertEquals(0, openFetchedFiles());
    }
  }

  @Test
  void missingUnreachableAndSilentAgentsFailNamingTheNode() throws Exception {
    RegionMeta meta = writeSegment(producer, "seg", new Records(1, 10, 2, 256), AccessKey.random());
    RegionMeta elsewhere = new RegionMeta("node-c", "seg", meta.size());
    DmergeException missing = assertThrows(DmergeException.class, () -> consumer().rmap(elsewhere, AccessKey.random()));
    assertTrue(missing.getMessage().contains("node-c"), missing.getMessage());

    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    RemoteDmerge refused = consumer(JOB, A + "=127.0.0.1:" + closedPort, TIMEOUT);
    DmergeException unreachable = assertThrows(DmergeException.class, () -> refused.rmap(meta, AccessKey.random()));
    assertTrue(unreachable.getMessage().contains(A) && unreachable.getMessage().contains(":" + closedPort),
        unreachable.getMessage());

    // A listener that never answers: the kernel completes the connection, nobody reads or writes.
    try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      RemoteDmerge hanging = consumer(JOB, A + "=127.0.0.1:" + silent.getLocalPort(), Duration.ofMillis(300));
      DmergeException timedOut = assertThrows(DmergeException.class, () -> hanging.rmap(meta, AccessKey.random()));
      assertTrue(timedOut.getMessage().contains("did not answer within 300 ms")
          && timedOut.getMessage().contains(A), timedOut.getMessage());
    }
  }

  @Test
  void agentRefusesIdsThatAreNotPlainFileNames() throws IOException {
    for (String[] ids : new String[][] {{"../" + JOB, "seg"}, {"..", "seg"}, {JOB, "../" + JOB + "/seg"}}) {
      String answer = rawRequest(agent.address(), A, ids[0], ids[1]);
      assertTrue(answer.startsWith("status 3:") && answer.contains("plain file name"), answer);
    }
    String wrongNode = rawRequest(agent.address(), B, JOB, "seg");
    assertTrue(wrongNode.contains("serves node " + A), wrongNode);
  }

  @Test
  void dmergesWrapsTheTransportWhenANodeDirectoryIsConfigured() {
    AccessKey key = AccessKey.random();
    Records records = new Records(4, 200, 3, 512);
    RegionMeta meta = writeSegment(producer, "seg", records, key);
    System.setProperty(Dmerges.REMOTE_NODES_PROPERTY, agentSpec(agent.address()));
    try (Dmerge d = Dmerges.open(config(rootsB, JOB, B, Long.MAX_VALUE))) {
      assertTrue(Dmerges.transportName(d).endsWith("+remote"), Dmerges.transportName(d));
      try (MappedRegion region = d.rmap(meta, key)) {
        assertEquals(records.expectedDigest(), Records.digest(new SegmentReader(region)));
      }
    } finally {
      System.clearProperty(Dmerges.REMOTE_NODES_PROPERTY);
    }
  }

  /**
   * One request written by hand in the documented wire format (shuffle/README.md), as a client
   * that does not go through ShmConfig would; returns "status N: message".
   */
  private static String rawRequest(InetSocketAddress agent, String node, String job, String id) throws IOException {
    byte[] n = node.getBytes(StandardCharsets.UTF_8);
    byte[] j = job.getBytes(StandardCharsets.UTF_8);
    byte[] r = id.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(29 + n.length + j.length + r.length);
    b.putInt(0x444D5241).putShort((short) 2).put((byte) 1).putShort((short) n.length).putShort((short) j.length)
        .putShort((short) r.length).put(new byte[16]).put(n).put(j).put(r);
    try (Socket s = new Socket(agent.getAddress(), agent.getPort())) {
      s.getOutputStream().write(b.array());
      DataInputStream in = new DataInputStream(s.getInputStream());
      assertEquals(0x444D5241, in.readInt());
      assertEquals(2, in.readShort());
      byte status = in.readByte();
      byte[] message = new byte[(int) in.readLong()];
      in.readFully(message);
      return "status " + status + ": " + new String(message, StandardCharsets.UTF_8);
    }
  }

  /** Relays one connection to the agent, but closes it after {@code limit} bytes of the answer. */
  private static final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    private final Thread relay;

    CuttingProxy(InetSocketAddress target, long limit) throws IOException {
      relay = new Thread(() -> {
        try (Socket client = server.accept(); Socket upstream = new Socket(target.getAddress(), target.getPort())) {
          Thread requests = new Thread(() -> copy(client, upstream, Long.MAX_VALUE));
          requests.setDaemon(true);
          requests.start();
          copy(upstream, client, limit);
        } catch (IOException e) {
          // the test sees the failure on the consumer's side
        }
      }, "cutting-proxy");
      relay.setDaemon(true);
      relay.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void copy(Socket from, Socket to, long limit) {
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        byte[] buf = new byte[8192];
        long left = limit;
        int n;
        while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
          out.write(buf, 0, n);
          left -= n;
        }
      } catch (IOException e) {
        // a side closed
      }
    }

    @Override
    public void close() throws Exception {
      server.close();
      relay.join();
    }
  }
}
