package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs tasks in worker JVMs on this machine, the shape of pods on one node: they share nothing with
 * the driver or each other but the job's Dmerge regions. A worker that dies is replaced, and its
 * attempt fails as lost so the scheduler retries it.
 */
public final class ProcessExecutor implements TaskExecutor {
  private final ShmConfig config;
  private final List<String> jvmArgs;
  private final BlockingQueue<WorkerProcess> idle = new LinkedBlockingQueue<>();
  private final Set<WorkerProcess> busy = ConcurrentHashMap.newKeySet();
  private final List<WorkerProcess> all = new ArrayList<>();
  private final ExecutorService dispatch;

  public ProcessExecutor(ShmConfig config, int workers, List<String> jvmArgs) {
    this.config = config;
    this.jvmArgs = jvmArgs;
    this.dispatch = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "dmerge-dispatch");
      t.setDaemon(true);
      return t;
    });
    for (int i = 0; i < workers; i++) {
      idle.add(startWorker());
    }
  }

  private synchronized WorkerProcess startWorker() {
    try {
      WorkerProcess w = WorkerProcess.start(config, jvmArgs);
      all.add(w);
      return w;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a Dmerge worker JVM", e);
    }
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
            throw new java.util.concurrent.CancellationException("interrupted waiting for a worker");
          }
          busy.add(worker);
          try {
            return worker.run(task);
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          } finally {
            busy.remove(worker);
            idle.add(worker.isAlive() ? worker : startWorker());
          }
        },
        dispatch);
  }

  /** Kills the workers that are running attempts; fresh ones take their place. */
  @Override
  public void cancel() {
    busy.forEach(WorkerProcess::kill);
  }

  @Override
  public synchronized void close() {
    all.forEach(WorkerProcess::close);
    dispatch.shutdownNow();
  }
}
