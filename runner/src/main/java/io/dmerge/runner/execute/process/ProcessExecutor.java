package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs tasks in worker JVMs on this machine, the shape of pods on one node: they share nothing with
 * the driver or each other but the job's Dmerge regions. A worker that dies is replaced, and its
 * attempt fails as lost so the scheduler retries it. Workers come from, and go back to, the
 * driver's {@link WorkerPool}. Each stage's template is serialized once for the job and sent once
 * to each worker; tasks carry only their own part.
 */
public final class ProcessExecutor implements TaskExecutor {
  private static final int ATTACH_ATTEMPTS = 3;
  private final ShmConfig job;
  private final List<String> jvmArgs;
  private final BlockingQueue<WorkerProcess> idle = new LinkedBlockingQueue<>();
  private final Set<WorkerProcess> busy = ConcurrentHashMap.newKeySet();
  private final ExecutorService dispatch;
  private final StageTemplates templates = new StageTemplates();

  public ProcessExecutor(ShmConfig job, int workers, List<String> jvmArgs) {
    this.job = job;
    this.jvmArgs = jvmArgs;
    this.dispatch =
        Executors.newFixedThreadPool(
            workers,
            r -> {
              Thread t = new Thread(r, "dmerge-dispatch");
              t.setDaemon(true);
              return t;
            });
    for (int i = 0; i < workers; i++) {
      idle.add(attachedWorker());
    }
  }

  /** A pooled or new worker attached to this job; a pooled one may have died since its last job. */
  private WorkerProcess attachedWorker() {
    IOException last = null;
    for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
      WorkerProcess w = WorkerPool.SHARED.acquire(jvmArgs);
      try {
        w.attach(job);
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
    return CompletableFuture.supplyAsync(
        () -> {
          WorkerProcess worker;
          try {
            worker = idle.take();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted waiting for a worker");
          }
          busy.add(worker);
          try {
            return worker.run(task, templates.of(task));
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new CompletionException(e);
          } finally {
            busy.remove(worker);
            idle.add(worker.isAlive() ? worker : attachedWorker());
          }
        },
        dispatch);
  }

  /** Kills the workers that are running attempts; fresh ones take their place. */
  @Override
  public void cancel() {
    busy.forEach(WorkerProcess::kill);
  }

  /** Returns the job's workers to the pool. */
  @Override
  public void close() {
    dispatch.shutdownNow();
    busy.forEach(WorkerProcess::kill);
    idle.forEach(WorkerPool.SHARED::release);
    idle.clear();
  }
}
