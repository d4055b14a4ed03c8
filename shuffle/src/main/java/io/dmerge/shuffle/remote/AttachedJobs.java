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
 * The node agent's view of the jobs on its node: one {@link ShmDmerge} attached per job, kept
 * while requests for the job come in so that its cached window mappings serve the next request
 * without page faults, and closed once the job has been idle for a while (its owner may have
 * deleted it: cached mappings of deleted files would keep their pages). The registry in the job's
 * directories decides what is registered and checks keys; this class only holds the attachments.
 */
final class AttachedJobs implements AutoCloseable {
  private final String node;
  private final Path memoryRoot;
  private final Path spillRoot;
  private final long idleNanos;
  private final Map<String, Job> jobs = new HashMap<>();
  private boolean closed;

  private static final class Job {
    final ShmDmerge dmerge;
    int users;
    long lastUsed = System.nanoTime();

    Job(ShmDmerge dmerge) {
      this.dmerge = dmerge;
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
      synchronized (AttachedJobs.this) {
        if (!done) {
          done = true;
          job.users--;
          job.lastUsed = System.nanoTime();
        }
      }
    }
  }

  AttachedJobs(String node, Path memoryRoot, Path spillRoot, Duration idle) {
    this.node = node;
    this.memoryRoot = memoryRoot;
    this.spillRoot = spillRoot;
    this.idleNanos = idle.toNanos();
  }

  /**
   * Attaches to {@code jobId} (or reuses the attachment). The id must be a plain file name (so it
   * names a directory inside the roots); a job without a directory on this node is an unknown
   * region.
   */
  synchronized Use use(String jobId, String regionId) {
    if (closed) {
      throw new DmergeException("the node agent is closing");
    }
    Job job = jobs.get(jobId);
    if (job == null) {
      // The memory budget and pool cap only matter to allocate and release, which the agent never calls.
      ShmConfig config = new ShmConfig(jobId, memoryRoot, spillRoot, 0, node);
      if (!Files.isDirectory(config.memoryDirectory())) {
        throw new DmergeException.UnknownRegion(regionId, "job " + jobId + " (no such job on node " + node + ")");
      }
      job = new Job(ShmDmerge.attach(config, 0));
      jobs.put(jobId, job);
    }
    job.users++;
    return new Use(job);
  }

  /** Closes the attachments that nobody has used for the idle time. */
  synchronized void closeIdle() {
    long now = System.nanoTime();
    for (Iterator<Job> it = jobs.values().iterator(); it.hasNext(); ) {
      Job job = it.next();
      if (job.users == 0 && now - job.lastUsed >= idleNanos) {
        it.remove();
        job.dmerge.close();
      }
    }
  }

  synchronized int attached() {
    return jobs.size();
  }

  /** Closes every attachment; regions still being streamed keep their mappings until they are closed. */
  @Override
  public synchronized void close() {
    closed = true;
    jobs.values().forEach(j -> j.dmerge.close());
    jobs.clear();
  }
}
