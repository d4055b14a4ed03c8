package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A driver's hold on its job's directories on one node, through the node's {@link NodeAgent}: the
 * agent creates them when the hold starts and deletes them when it ends, whether the driver
 * {@link #close}s it or dies (its kernel closes the connection; TCP keep-alive notices a machine
 * that vanished). So a job's directories on the nodes of its workers live exactly as long as its
 * driver, without any process there that outlives the job's workers. The driver releases the
 * node's regions through the hold.
 */
public final class NodeLease implements AutoCloseable {
  private final Connection connection;
  private final ShmConfig job;
  private final String where;

  private NodeLease(Connection connection, ShmConfig job, String where) {
    this.connection = connection;
    this.job = job;
    this.where = where;
  }

  /**
   * Holds job {@code jobId} on {@code node}, whose agent listens at {@code agent}.
   *
   * @param memoryBudget the job's memory budget on the node (the agent's pool cap follows it)
   * @param timeout for connecting and for each wait for the agent
   */
  public static NodeLease hold(String node, InetSocketAddress agent, String jobId, long memoryBudget, Duration timeout) {
    String where = "the agent of node " + node + " at " + agent;
    String failed = "cannot hold job " + jobId + " on node " + node + ": ";
    Connection c;
    try {
      c = Connection.open(agent, timeout);
    } catch (IOException e) {
      throw new DmergeException(failed + where + " is unreachable: " + e, e);
    }
    try {
      c.writeFully(AgentProtocol.request(new AgentProtocol.Hold(node, jobId, memoryBudget)));
      AgentProtocol.Answer answer = AgentProtocol.readAnswer(c);
      if (answer.status() != AgentProtocol.OK) {
        throw new DmergeException(failed + where + " refused: " + AgentProtocol.readMessage(c, answer));
      }
      AgentProtocol.Roots roots = AgentProtocol.readRoots(c, answer);
      ShmConfig job = new ShmConfig(jobId, Path.of(roots.memoryRoot()), Path.of(roots.spillRoot()), memoryBudget, node);
      return new NodeLease(c, job, where);
    } catch (IOException | RuntimeException e) {
      try {
        c.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e instanceof DmergeException d ? d : new DmergeException(failed + where + " failed: " + e, e);
    }
  }

  /** The job as its processes on the node see it: the node's name and the agent's roots. */
  public ShmConfig job() {
    return job;
  }

  /** Releases a region of the job on the node; the agent does it in the order asked, without answering. */
  public synchronized void release(String regionId) {
    try {
      connection.writeFully(AgentProtocol.release(regionId));
    } catch (IOException e) {
      throw new DmergeException("cannot release region " + regionId + " through " + where + ": " + e, e);
    }
  }

  /**
   * Ends the hold, and returns once the agent has deleted the job's directories on the node (it
   * closes the connection then), or fails after the timeout; the agent deletes them regardless.
   */
  @Override
  public synchronized void close() {
    try (connection) {
      connection.shutdownOutput();
      ByteBuffer ignored = ByteBuffer.allocate(64);
      while (connection.read(ignored.clear()) >= 0) {
        // the agent sends nothing more; wait for its close
      }
    } catch (IOException e) {
      throw new DmergeException(
          "ending the hold of job " + job.jobId() + " through " + where + " failed (" + e
              + "); the agent deletes its directories once it notices", e);
    }
  }
}
