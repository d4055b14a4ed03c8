package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.WorkerLostException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The driver's end of one worker's control channel, wherever the worker runs (a local JVM's pipes,
 * a pod's socket): attaches it to a job, runs one task at a time on it, and turns a broken channel
 * into {@link WorkerLostException}. It remembers which stage templates the worker has cached in
 * the current job, so each is sent once. Used by one thread at a time, but for {@link #splitRest},
 * which the scheduler calls while an attempt runs.
 */
public final class WorkerConnection implements AutoCloseable {
  private final ControlChannel channel;
  private final Supplier<String> whyLost;
  private final Set<Long> cachedTemplates = new HashSet<>();
  private String attachedJob;
  private TaskSpec running; // guarded by this
  private final Map<Integer, CompletableFuture<LiveRead.Split>> pendingSplits = new HashMap<>(); // guarded by this
  private int nextSplit; // guarded by this

  /**
   * @param whyLost says what became of the worker once its channel broke, e.g. "worker 12 exited
   *     with code 137"; it may wait a little for the worker to end, and makes sure it has
   */
  public WorkerConnection(InputStream in, OutputStream out, Supplier<String> whyLost) {
    this.channel = new ControlChannel(in, out);
    this.whyLost = whyLost;
  }

  /** Points the worker at a job's regions; its next tasks belong to that job. */
  public void attach(JobAttach attach) throws IOException {
    String jobId = attach.job().jobId();
    if (!jobId.equals(attachedJob)) {
      // The worker drops its template cache on attach; so does this side.
      cachedTemplates.clear();
      channel.write(attach);
      attachedJob = jobId;
    }
  }

  /** Ends the worker's part in its job (a no-op for a worker that is not attached); it stays for the next job. */
  public void detach() throws IOException {
    if (attachedJob != null) {
      cachedTemplates.clear();
      attachedJob = null;
      channel.write(new JobEnd());
    }
  }

  /** Runs one attempt; a worker that dies or breaks the channel fails it with {@link WorkerLostException}. */
  TaskResult run(TaskSpec task, StageTemplates.Serialized template) throws Exception {
    Object reply;
    try {
      synchronized (this) {
        // One step, so a split request is never written before the envelope of the task it asks
        // about, and once the worker has the envelope the task counts as running here.
        channel.write(TaskEnvelope.of(task, template, cachedTemplates.contains(template.id())));
        running = task;
      }
      // A worker that does not read this envelope is lost and replaced, cache and all.
      cachedTemplates.add(template.id());
      reply = channel.read();
      while (reply instanceof SplitReply split) {
        answer(split);
        reply = channel.read();
      }
    } catch (IOException e) {
      throw lost(task, e);
    } finally {
      ended();
    }
    if (reply instanceof TaskFailure) {
      Throwable cause = ((TaskFailure) reply).cause();
      throw cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
    }
    if (!(reply instanceof TaskResult)) {
      throw lost(task, reply == null ? null : new IOException("unexpected reply " + reply.getClass().getName()));
    }
    return (TaskResult) reply;
  }

  /**
   * Asks the worker to split the read of {@code task}, if it is still running it, and waits for the
   * answer: null if nothing was split. Called by another thread than {@link #run}, whose reads
   * deliver the answer; a worker replies to a split before it reports the attempt, so an attempt
   * that ends unanswered made none.
   */
  LiveRead.Split splitRest(TaskSpec task) {
    CompletableFuture<LiveRead.Split> answer = new CompletableFuture<>();
    synchronized (this) {
      if (running != task) {
        return null;
      }
      int id = nextSplit++;
      pendingSplits.put(id, answer);
      try {
        // Written while the attempt runs here, so the worker reads it before any later envelope.
        channel.write(new SplitRequest(id, task.name()));
      } catch (IOException e) {
        // The worker is lost; run() reports that.
        pendingSplits.remove(id);
        return null;
      }
    }
    return answer.join();
  }

  private synchronized void answer(SplitReply reply) {
    CompletableFuture<LiveRead.Split> asked = pendingSplits.remove(reply.id());
    if (asked != null) {
      asked.complete(reply.split());
    }
  }

  private synchronized void ended() {
    running = null;
    pendingSplits.values().forEach(f -> f.complete(null));
    pendingSplits.clear();
  }

  private WorkerLostException lost(TaskSpec task, IOException e) {
    return new WorkerLostException(whyLost.get() + " while running task " + task.name(), e);
  }

  /** Closing the driver's end asks the worker to exit. */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
