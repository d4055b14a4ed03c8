package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.MappedRegion;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the registered regions of the jobs on one node over TCP, so that a consumer on another
 * node can rmap them ({@link RemoteDmerge}), and holds the directories of jobs whose driver runs
 * on another node ({@link NodeLease}). One thread per connection, one request per connection
 * ({@link AgentProtocol}). A region is opened through the job's registry (an attached
 * {@link io.dmerge.shuffle.shm.ShmDmerge}, which checks the key) and streamed from its read-only
 * mapping, a window slice at a time: the agent never copies a region onto its heap. A hold lasts
 * as long as its connection; when it ends, however it ends, the agent deletes the job's
 * directories on the node, and an agent that starts deletes those that an earlier agent held.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE = Duration.ofSeconds(60);
  /** Bytes written per slice: divides the 64 MiB mapping window, so no slice straddles two windows. */
  static final int CHUNK = 1 << 20;

  private final String node;
  private final ServerSocketChannel server;
  private final Duration timeout;
  private final AgentJobs jobs;
  private final ExecutorService connections;
  private final ScheduledExecutorService janitor;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private final AtomicLong served = new AtomicLong();
  private volatile boolean closed;

  private NodeAgent(String node, ServerSocketChannel server, Duration timeout, AgentJobs jobs) {
    this.node = node;
    this.server = server;
    this.timeout = timeout;
    this.jobs = jobs;
    AtomicInteger n = new AtomicInteger();
    this.connections = Executors.newCachedThreadPool(r -> daemon(r, "dmerge-agent-conn-" + n.incrementAndGet()));
    this.janitor = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "dmerge-agent-idle"));
    this.acceptor = daemon(this::accept, "dmerge-agent-accept");
  }

  /** As {@link #start(String, Path, Path, InetSocketAddress, Duration, Duration)} with the default timeouts. */
  public static NodeAgent start(String node, Path memoryRoot, Path spillRoot, InetSocketAddress bind) {
    return start(node, memoryRoot, spillRoot, bind, DEFAULT_TIMEOUT, DEFAULT_IDLE);
  }

  /**
   * Starts serving the regions of {@code node} under the two roots on {@code bind} (port 0: any
   * free port, see {@link #address()}). Job directories that an earlier agent held under the roots
   * are deleted first: their holds ended with it.
   *
   * @param timeout how long a connection may make no progress (request not arriving, consumer
   *     not reading) before the agent drops it
   * @param idle how long a job's attachment (and its cached mappings) outlives its last request
   */
  public static NodeAgent start(
      String node, Path memoryRoot, Path spillRoot, InetSocketAddress bind, Duration timeout, Duration idle) {
    ShmDmerge.reclaimHeld(memoryRoot, spillRoot);
    ServerSocketChannel server;
    try {
      server = ServerSocketChannel.open();
      server.bind(bind);
    } catch (IOException e) {
      throw new UncheckedIOException("node agent cannot listen on " + bind, e);
    }
    NodeAgent agent = new NodeAgent(node, server, timeout, new AgentJobs(node, memoryRoot, spillRoot, idle));
    long every = Math.max(1, idle.toMillis() / 2);
    agent.janitor.scheduleWithFixedDelay(agent.jobs::closeIdle, every, every, TimeUnit.MILLISECONDS);
    agent.acceptor.start();
    LOG.info("Dmerge node agent for node {} on {} (memory {}, spill {})", node, agent.address(), memoryRoot, spillRoot);
    return agent;
  }

  /** The address the agent listens on. */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Jobs the agent is attached to (they go once idle) or holds right now. */
  public int attachedJobs() {
    return jobs.attached();
  }

  /** Regions served whole to consumers on other nodes since the agent started. */
  public long servedRegions() {
    return served.get();
  }

  private void accept() {
    while (!closed) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        return; // close()
      } catch (IOException e) {
        LOG.warn("node agent of {}: accept failed", node, e);
        continue;
      }
      open.add(channel);
      try {
        connections.execute(() -> serve(channel));
      } catch (RuntimeException e) { // rejected: closing
        open.remove(channel);
        closeQuietly(channel);
      }
    }
  }

  private void serve(SocketChannel channel) {
    try (Connection c = new Connection(channel, timeout)) {
      AgentProtocol.Request request;
      try {
        request = AgentProtocol.readRequest(c);
      } catch (ProtocolException | IllegalArgumentException e) {
        c.writeFully(AgentProtocol.failure(AgentProtocol.ERROR, e.getMessage()));
        return;
      }
      if (request instanceof AgentProtocol.Hold hold) {
        hold(c, hold);
      } else {
        fetch(c, (AgentProtocol.Fetch) request);
      }
    } catch (IOException e) {
      // The peer went away or stalled; a consumer sees a failed fetch, nothing to answer.
      LOG.debug("node agent of {}: connection dropped", node, e);
    } finally {
      open.remove(channel);
    }
  }

  private void checkNode(AgentProtocol.Request r) {
    if (!node.equals(r.node())) {
      throw new DmergeException("this agent serves node " + node + ", not " + r.node());
    }
  }

  private void fetch(Connection c, AgentProtocol.Fetch r) throws IOException {
    byte status;
    String message;
    try {
      checkNode(r);
      try (AgentJobs.Use job = jobs.use(r.jobId(), r.regionId());
          MappedRegion region = job.dmerge().rmap(new RegionMeta(node, r.regionId(), 0), r.key())) {
        stream(c, region);
        served.incrementAndGet();
        return;
      }
    } catch (DmergeException.AccessDenied e) {
      status = AgentProtocol.ACCESS_DENIED;
      message = e.getMessage();
    } catch (DmergeException.UnknownRegion e) {
      status = AgentProtocol.UNKNOWN_REGION;
      message = e.getMessage();
    } catch (DmergeException | IllegalArgumentException | UncheckedIOException e) {
      // IllegalArgumentException: a job or region id that is not a plain file name.
      status = AgentProtocol.ERROR;
      message = e.getMessage();
    }
    c.writeFully(AgentProtocol.failure(status, message));
  }

  /**
   * Creates the job's directories, answers with their roots, then keeps them for as long as the
   * connection lasts, releasing the regions the holder names; deletes them when it ends. The
   * connection closes after that, so a holder that waits for the close knows they are gone.
   */
  private void hold(Connection c, AgentProtocol.Hold r) throws IOException {
    ShmConfig job;
    try {
      checkNode(r);
      job = jobs.hold(r.jobId(), r.memoryBudget());
    } catch (DmergeException | IllegalArgumentException | UncheckedIOException e) {
      c.writeFully(AgentProtocol.failure(AgentProtocol.ERROR, e.getMessage()));
      return;
    }
    LOG.info("node agent of {}: holding job {}", node, r.jobId());
    try {
      c.writeFully(AgentProtocol.held(new AgentProtocol.Roots(job.memoryRoot().toString(), job.spillRoot().toString())));
      c.lasting();
      for (String id = AgentProtocol.readRelease(c); id != null; id = AgentProtocol.readRelease(c)) {
        try {
          jobs.release(r.jobId(), id);
        } catch (DmergeException | IllegalArgumentException | UncheckedIOException e) {
          // The region goes with the job's directories when the hold ends.
          LOG.warn("node agent of {}: cannot release region {} of job {}: {}", node, id, r.jobId(), e.getMessage());
        }
      }
    } finally {
      jobs.end(r.jobId());
      LOG.info("node agent of {}: job {} ended, its directories are deleted", node, r.jobId());
    }
  }

  /** The answer header, then the region a slice of its mapping at a time. */
  private static void stream(Connection c, MappedRegion region) throws IOException {
    long size = region.size();
    c.writeFully(AgentProtocol.answer(AgentProtocol.OK, size));
    for (long offset = 0; offset < size; offset += CHUNK) {
      c.writeFully(region.slice(offset, (int) Math.min(CHUNK, size - offset)));
    }
  }

  /** Stops accepting, drops open connections and closes every job attachment. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(server);
    connections.shutdownNow();
    open.forEach(NodeAgent::closeQuietly);
    janitor.shutdownNow();
    try {
      acceptor.join();
      connections.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    jobs.close();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
