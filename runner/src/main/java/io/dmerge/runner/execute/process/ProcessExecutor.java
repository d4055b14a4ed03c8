package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs tasks in worker JVMs on this machine, the shape of pods on one node: they share nothing with
 * the driver or each other but the job's Dmerge regions. A worker that dies is replaced, and its
 * attempt fails as lost so the scheduler retries it ({@link WorkerDispatch}). Workers come from,
 * and go back to, the driver's {@link WorkerPool}.
 */
public final class ProcessExecutor implements TaskExecutor {
  private static final int ATTACH_ATTEMPTS = 3;
  private final Dmerge regions;
  private final ShmConfig job;
  private final List<String> jvmArgs;
  private final WorkerDispatch<WorkerProcess> dispatch;

  /** @param regions the job's regions on this node, described by {@code job}; this executor closes them */
  public ProcessExecutor(Dmerge regions, ShmConfig job, int workers, List<String> jvmArgs) {
    this.regions = regions;
    this.job = job;
    this.jvmArgs = jvmArgs;
    List<WorkerProcess> attached = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      attached.add(attachedWorker());
    }
    this.dispatch = new WorkerDispatch<>(attached, this::attachedWorker);
  }

  /** A pooled or new worker attached to this job; a pooled one may have died since its last job. */
  private WorkerProcess attachedWorker() {
    IOException last = null;
    for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
      WorkerProcess w = WorkerPool.SHARED.acquire(jvmArgs);
      try {
        w.connection().attach(new JobAttach(job, NodeDirectory.EMPTY));
        return w;
      } catch (IOException e) {
        w.kill();
        last = e;
      }
    }
    throw new UncheckedIOException("cannot attach a worker to job " + job.jobId() + " in " + ATTACH_ATTEMPTS + " attempts", last);
  }

  @Override
  public CompletableFuture<TaskResult> submit(TaskSpec task) {
    return dispatch.submit(task);
  }

  @Override
  public LiveRead.Split splitRest(CompletableFuture<TaskResult> attempt) {
    return dispatch.splitRest(attempt);
  }

  /** Kills the workers that are running attempts; the job is over, so none is replaced. */
  @Override
  public void cancel() {
    dispatch.cancel();
  }

  @Override
  public void release(RegionMeta region) {
    regions.release(region.id());
  }

  /** Ends the job on its workers and returns them to the pool, then deletes its regions. */
  @Override
  public void close() {
    try {
      for (WorkerProcess worker : dispatch.close()) {
        try {
          worker.connection().detach();
        } catch (IOException e) {
          // A worker that cannot take the message is dead: the pool drops it.
        }
        WorkerPool.SHARED.release(worker);
      }
    } finally {
      regions.close();
    }
  }
}
