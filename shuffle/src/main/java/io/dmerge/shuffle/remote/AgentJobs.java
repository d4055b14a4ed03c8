package io.dmerge.shuffle.remote;

import io.dmerge.shuffle.DmergeException;
import io.dmerge.shuffle.shm.ShmConfig;
import io.dmerge.shuffle.shm.ShmDmerge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The jobs a node agent serves, one {@link ShmDmerge} per job on its node, of two kinds:
 *
 * <ul>
 *   <li><b>Attached</b> for fetches of a job whose directories someone else owns: kept while
 *       requests for the job come in, so that its cached window mappings serve the next request
 *       without page faults, and closed once the job has been idle for a while (its owner may have
 *       deleted it: cached mappings of deleted files would keep their pages).
 *   <li><b>Held</b> for a driver on another node ({@link #hold}): the agent creates the job's
 *       directories and is their owner until the hold ends ({@link #end}), which deletes them.
 * </ul>
 *
 * The registry in the job's directories decides what is registered and checks keys; this class
 * only holds the instances.
 */
final class AgentJobs implements AutoCloseable {
  private final String node;
  private final Path memoryRoot;
  private final Path spillRoot;
  private final long idleNanos;
  private final Map<String, Job> jobs = new HashMap<>();
  private boolean closed;

  private static final class Job {
    final ShmDmerge dmerge;
    final boolean held;
    int users;
    long lastUsed = System.nanoTime();

    Job(ShmDmerge dmerge, boolean held) {
      this.dmerge = dmerge;
      this.held = held;
    }
  }

  /** One request's use of a job; closing it marks the job idle from now if nobody else uses it. */
  final class Use implements AutoCloseable {
    private final Job job;
    private boolean done;

    private Use(Job job) {
      this.job = job;
    }

    ShmDmerge dmerge() {
      return job.dmerge;
    }

    @Override
    public void close() {
      synchronized (AgentJobs.this) {
        if (!done) {
          done = true;
          job.users--;
          job.lastUsed = System.nanoTime();
        }
      }
    }
  }

  AgentJobs(String node, Path memoryRoot, Path spillRoot, Duration idle) {
    this.node = node;
    this.memoryRoot = memoryRoot;
    this.spillRoot = spillRoot;
    this.idleNanos = idle.toNanos();
  }

  private void checkOpen() {
    if (closed) {
      throw new DmergeException("the node agent is closing");
    }
  }

  /**
   * Uses {@code jobId} (attaching to it unless it is held or attached already). The id must be a
   * plain file name (so it names a directory inside the roots); a job without a directory on this
   * node is an unknown region.
   */
  synchronized Use use(String jobId, String regionId) {
    checkOpen();
    Job job = jobs.get(jobId);
    if (job == null) {
      // The memory budget and pool cap only matter to allocate and release, which fetches never call.
      ShmConfig config = new ShmConfig(jobId, memoryRoot, spillRoot, 0, node);
      if (!Files.isDirectory(config.memoryDirectory())) {
        throw new DmergeException.UnknownRegion(regionId, "job " + jobId + " (no such job on node " + node + ")");
      }
      job = new Job(ShmDmerge.attach(config, 0), false);
      jobs.put(jobId, job);
    }
    job.users++;
    return new Use(job);
  }

  /**
   * Creates the job's directories on this node and owns them until {@link #end}; returns the job
   * as its processes on this node see it. A job that has directories here already is refused: a
   * job is held by its one driver.
   */
  synchronized ShmConfig hold(String jobId, long memoryBudget) {
    checkOpen();
    ShmConfig config = new ShmConfig(jobId, memoryRoot, spillRoot, memoryBudget, node);
    if (jobs.containsKey(jobId) || Files.exists(config.memoryDirectory())) {
      throw new DmergeException("job " + jobId + " already has directories on node " + node + "; it cannot be held again");
    }
    jobs.put(jobId, new Job(ShmDmerge.createHeld(config), true));
    return config;
  }

  /**
   * Releases a region of a held job. Under the lock, like {@link #end}: a release racing the
   * deletion of the job's directories could make its pool directory again.
   */
  synchronized void release(String jobId, String regionId) {
    Job job = jobs.get(jobId);
    if (job == null || !job.held) {
      throw new DmergeException("job " + jobId + " is not held on node " + node);
    }
    job.dmerge.release(regionId);
  }

  /** Ends a hold: deletes the job's directories on this node; fetches still streaming keep their mappings. */
  synchronized void end(String jobId) {
    Job job = jobs.get(jobId);
    if (job != null && job.held) {
      jobs.remove(jobId);
      job.dmerge.close();
    }
  }

  /** Closes the attachments that nobody has used for the idle time; held jobs stay. */
  synchronized void closeIdle() {
    long now = System.nanoTime();
    for (Iterator<Job> it = jobs.values().iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (!job.held && job.users == 0 && now - job.lastUsed >= idleNanos) {
        it.remove();
        job.dmerge.close();
      }
    }
  }

  /** Jobs attached or held right now. */
  synchronized int attached() {
    return jobs.size();
  }

  /**
   * Closes every attachment and ends every hold (deleting the held jobs' directories: no hold
   * outlives its agent); regions still being streamed keep their mappings until they are closed.
   */
  @Override
  public synchronized void close() {
    closed = true;
    jobs.values().forEach(j -> j.dmerge.close());
    jobs.clear();
  }
}
