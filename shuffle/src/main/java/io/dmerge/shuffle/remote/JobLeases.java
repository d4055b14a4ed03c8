package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.shm.ShmConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A driver's holds ({@link NodeLease}) on its job's directories on every node where the job's
 * processes run, each taken the first time the job needs the node, through the agents of a
 * {@link NodeDirectory}. Regions are released on the node that holds them; closing ends every hold.
 */
public final class JobLeases implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobLeases.class);

  private final NodeDirectory agents;
  private final String jobId;
  private final long memoryBudget;
  private final Duration timeout;
  private final Map<String, NodeLease> leases = new LinkedHashMap<>();
  private boolean closed;

  public JobLeases(NodeDirectory agents, String jobId, long memoryBudget, Duration timeout) {
    this.agents = agents;
    this.jobId = jobId;
    this.memoryBudget = memoryBudget;
    this.timeout = timeout;
  }

  /** The job on {@code node}, held from the first call for that node until {@link #close}. */
  public synchronized ShmConfig on(String node) {
    if (closed) {
      throw new IllegalStateException("job " + jobId + " has ended; it holds no new nodes");
    }
    NodeLease lease = leases.get(node);
    if (lease == null) {
      lease = NodeLease.hold(node, agents.agent(node), jobId, memoryBudget, timeout);
      leases.put(node, lease);
    }
    return lease.job();
  }

  /**
   * Releases a region on its node. A release that fails only leaves the region to the end of the
   * hold, and a broken hold has lost the node's directories anyway: it is logged, not thrown.
   */
  public void release(RegionMeta region) {
    NodeLease lease;
    synchronized (this) {
      lease = leases.get(region.node());
    }
    if (lease == null) {
      throw new IllegalStateException("region " + region.id() + " is on node " + region.node() + ", where job " + jobId + " holds nothing");
    }
    try {
      lease.release(region.id());
    } catch (DmergeException e) {
      LOG.warn("{}", e.getMessage());
    }
  }

  /** Ends every hold; each returns once its node's directories are deleted, or logs why not. */
  @Override
  public void close() {
    List<NodeLease> held;
    synchronized (this) {
      closed = true;
      held = new ArrayList<>(leases.values());
      leases.clear();
    }
    for (NodeLease lease : held) {
      try {
        lease.close();
      } catch (DmergeException e) {
        LOG.warn("{}", e.getMessage());
      }
    }
  }
}
