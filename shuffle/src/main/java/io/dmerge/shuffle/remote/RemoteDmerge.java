package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionBuffer;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A job's {@link Dmerge} on a node that can also rmap regions of other nodes: everything goes to
 * the local transport except rmap of a region whose node is not this one, which fetches the
 * region from that node's {@link NodeAgent} over TCP.
 *
 * <p>The bytes land in a file in this job's memory directory that is unlinked as soon as it is
 * created: the open channel keeps its pages, the {@link MappedRegion} maps it read-only, and the
 * memory goes back to the kernel when the region is closed, or when this process dies, whatever
 * happens. It is written with {@code write(2)}, not through a mapping, so a full tmpfs is an I/O
 * error rather than SIGBUS. The region is a copy, not the producer's pages: this is what a
 * one-sided RDMA read would replace.
 */
public final class RemoteDmerge implements Dmerge {
  /** Received bytes go to the file in slices of this size. */
  private static final int CHUNK = 1 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Dmerge local;
  private final String jobId;
  private final Path fetchDirectory;
  private final NodeDirectory nodes;
  private final Duration timeout;

  /**
   * @param local the job's transport on this node, which this instance closes
   * @param config the job on this node: its id and memory directory (where fetched regions land)
   * @param timeout for connecting to an agent and for each wait for its bytes
   */
  public RemoteDmerge(Dmerge local, ShmConfig config, NodeDirectory nodes, Duration timeout) {
    this.local = local;
    this.jobId = config.jobId();
    this.fetchDirectory = config.memoryDirectory();
    this.nodes = nodes;
    this.timeout = timeout;
  }

  /** The local transport this instance delegates to. */
  public Dmerge local() {
    return local;
  }

  @Override
  public String node() {
    return local.node();
  }

  @Override
  public RegionBuffer allocate(String id) {
    return local.allocate(id);
  }

  @Override
  public RegionMeta register(RegionBuffer region, AccessKey key) {
    return local.register(region, key);
  }

  /** Same node: the local rmap (the producer's pages). Another node: a fetch from its agent. */
  @Override
  public MappedRegion rmap(RegionMeta meta, AccessKey key) {
    if (meta.node().equals(local.node())) {
      return local.rmap(meta, key);
    }
    InetSocketAddress agent = nodes.agent(meta.node());
    String where = "the agent of node " + meta.node() + " at " + agent;
    try (Connection c = Connection.open(agent, timeout)) {
      c.writeFully(AgentProtocol.request(new AgentProtocol.Fetch(meta.node(), jobId, meta.id(), key)));
      AgentProtocol.Answer answer = AgentProtocol.readAnswer(c);
      return switch (answer.status()) {
        case AgentProtocol.OK -> receive(c, meta, answer.length(), where);
        case AgentProtocol.ACCESS_DENIED -> throw new DmergeException.AccessDenied(meta.id());
        case AgentProtocol.UNKNOWN_REGION -> throw new DmergeException.UnknownRegion(meta.id(), "job " + jobId + " on " + where);
        default -> throw new DmergeException(where + " could not serve region " + meta.id() + ": "
            + AgentProtocol.readMessage(c, answer));
      };
    } catch (SocketTimeoutException e) {
      throw new DmergeException(
          "rmap of region " + meta.id() + ": " + where + " did not answer within " + timeout.toMillis() + " ms", e);
    } catch (IOException e) {
      throw new DmergeException("rmap of region " + meta.id() + " from " + where + " failed: " + e, e);
    }
  }

  /** Copies the answer's {@code size} bytes into a fresh unlinked file and maps it; all or nothing. */
  private MappedRegion receive(Connection c, RegionMeta meta, long size, String where) throws IOException {
    Path file = fetchDirectory.resolve(".remote-" + HexFormat.of().formatHex(randomBytes()));
    FileChannel channel = FileChannel.open(
        file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      Files.delete(file); // from here on only the channel (then the mapping) holds the pages
      ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(1, size)));
      long received = 0;
      while (received < size) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), size - received));
        try {
          c.readFully(buffer);
        } catch (EOFException e) {
          throw new DmergeException("rmap of region " + meta.id() + ": " + where
              + " closed the connection after " + (received + buffer.position()) + " of " + size + " bytes", e);
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
          received += channel.write(buffer, received);
        }
      }
      return new MappedRegion(new RegionMeta(meta.node(), meta.id(), size), channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return b;
  }

  @Override
  public void release(String id) {
    local.release(id);
  }

  @Override
  public long registeredBytes() {
    return local.registeredBytes();
  }

  @Override
  public void close() {
    local.close();
  }
}
