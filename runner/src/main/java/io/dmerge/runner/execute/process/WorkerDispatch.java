package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import java.util.ArrayList;
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
import java.util.function.Supplier;

/**
 * Hands a job's task attempts to its remote workers, one attempt per worker at a time. A worker
 * that is dead after its attempt is replaced by a new one before the attempt's outcome is
 * reported, so the scheduler's retry finds a full set of workers. Each stage's template is
 * serialized once for the job and sent once to each worker; tasks carry only their own part.
 */
public final class WorkerDispatch<W extends RemoteWorker> {
  private final BlockingQueue<W> idle = new LinkedBlockingQueue<>();
  private final Set<W> busy = ConcurrentHashMap.newKeySet();
  private final Supplier<W> replacement;
  private final ExecutorService dispatch;
  private final StageTemplates templates = new StageTemplates();
  private volatile boolean closed;

  /** @param replacement a new worker, attached to the job, for one that died */
  public WorkerDispatch(List<W> workers, Supplier<W> replacement) {
    this.replacement = replacement;
    this.idle.addAll(workers);
    this.dispatch =
        Executors.newFixedThreadPool(
            workers.size(),
            r -> {
              Thread t = new Thread(r, "dmerge-dispatch");
              t.setDaemon(true);
              return t;
            });
  }

  public CompletableFuture<TaskResult> submit(TaskSpec task) {
    return CompletableFuture.supplyAsync(
        () -> {
          W worker;
          try {
            worker = idle.take();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted waiting for a worker");
          }
          busy.add(worker);
          try {
            return worker.connection().run(task, templates.of(task));
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new CompletionException(e);
          } finally {
            busy.remove(worker);
            if (worker.isAlive()) {
              idle.add(worker);
            } else if (!closed) {
              idle.add(replacement.get());
            }
          }
        },
        dispatch);
  }

  /** Kills the workers that are running attempts; fresh ones take their place. */
  public void cancel() {
    busy.forEach(RemoteWorker::kill);
  }

  /** Stops dispatching and kills busy workers; returns the idle ones, which the caller now owns. */
  public List<W> close() {
    // Attempts that the shutdown interrupts lose their workers; the job is over, so none is replaced.
    closed = true;
    dispatch.shutdownNow();
    busy.forEach(RemoteWorker::kill);
    List<W> left = new ArrayList<>();
    idle.drainTo(left);
    return left;
  }
}
