package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * Hands a job's task attempts to its remote workers, one attempt per worker at a time. A worker
 * that is dead after its attempt is replaced by a new one before the attempt's outcome is
 * reported, so the scheduler's retry finds a full set of workers. Each stage's template is
 * serialized once for the job and sent once to each worker; tasks carry only their own part.
 *
 * <p>A streaming round's task of a partition goes to the worker that ran that partition's earlier
 * rounds, which keeps their state in its memory; if that worker is gone, so is the state, and the
 * task fails for good.
 */
public final class WorkerDispatch<W extends RemoteWorker> {
  private final Object lock = new Object();
  private final Deque<W> idle = new ArrayDeque<>(); // guarded by lock
  private final Map<String, W> pinned = new HashMap<>(); // guarded by lock: stage/partition to its worker
  private final Set<W> busy = ConcurrentHashMap.newKeySet();
  private final Map<CompletableFuture<TaskResult>, Attempt<W>> running = new ConcurrentHashMap<>();
  private final Supplier<W> replacement;
  private final ExecutorService dispatch;
  private final StageTemplates templates = new StageTemplates();
  private volatile boolean closed;
  private volatile boolean cancelled;

  /** @param replacement a new worker, attached to the job, for one that died */
  public WorkerDispatch(List<W> workers, Supplier<W> replacement) {
    this.replacement = replacement;
    this.idle.addAll(workers);
    this.dispatch =
        Executors.newFixedThreadPool(
            workers.size(),
            new ThreadFactoryBuilder().setNameFormat("dmerge-dispatch-%d").setDaemon(true).build());
  }

  public CompletableFuture<TaskResult> submit(TaskSpec task) {
    CompletableFuture<TaskResult> result = new CompletableFuture<>();
    dispatch.execute(
        () -> {
          try {
            result.complete(attempt(task, result));
          } catch (Throwable t) {
            result.completeExceptionally(t);
          }
        });
    return result;
  }

  /**
   * Runs the attempt on an idle worker. The worker is idle again, or replaced if it died, before
   * the caller reports the outcome: a job that ends on that outcome finds it idle, not busy.
   */
  private TaskResult attempt(TaskSpec task, CompletableFuture<TaskResult> result) throws Exception {
    W worker = acquire(task);
    busy.add(worker);
    running.put(result, new Attempt<>(worker, task));
    try {
      return worker.connection().run(task, templates.of(task));
    } finally {
      running.remove(result);
      busy.remove(worker);
      if (worker.isAlive()) {
        release(worker);
      } else if (!closed && !cancelled) {
        release(replacement.get());
      }
    }
  }

  /**
   * Asks the worker running {@code attempt} to split its read ({@link WorkerConnection#splitRest});
   * null if the attempt is not running or nothing was split.
   */
  public LiveRead.Split splitRest(CompletableFuture<TaskResult> attempt) {
    Attempt<W> a = running.get(attempt);
    return a == null ? null : a.worker().connection().splitRest(a.task());
  }

  private record Attempt<W>(W worker, TaskSpec task) {}

  /** An idle worker for the task: any, or for a streaming partition's task the one that holds its state. */
  private W acquire(TaskSpec task) {
    String pin = task.round() != null && task.input() instanceof TaskInput.Partition p ? task.stageId() + "/" + p.partition() : null;
    synchronized (lock) {
      while (true) {
        W owner = pin == null ? null : pinned.get(pin);
        if (owner != null && !owner.isAlive()) {
          throw new IllegalStateException(
              "the worker that kept the streaming state of stage " + task.stageId() + ", partition "
                  + ((TaskInput.Partition) task.input()).partition() + " is gone, and that state with it");
        }
        W worker = owner == null ? idle.poll() : idle.remove(owner) ? owner : null;
        if (worker != null) {
          if (pin != null) {
            pinned.putIfAbsent(pin, worker);
          }
          return worker;
        }
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CancellationException("interrupted waiting for a worker");
        }
      }
    }
  }

  private void release(W worker) {
    synchronized (lock) {
      idle.add(worker);
      lock.notifyAll();
    }
  }

  /**
   * Kills the workers that are running attempts. The job is over, so none is replaced: a new one
   * would attach to a job whose regions are about to go, and die of it.
   */
  public void cancel() {
    cancelled = true;
    busy.forEach(RemoteWorker::kill);
  }

  /** Stops dispatching and kills busy workers; returns the idle ones, which the caller now owns. */
  public List<W> close() {
    // Attempts that the shutdown interrupts lose their workers; the job is over, so none is replaced.
    closed = true;
    dispatch.shutdownNow();
    busy.forEach(RemoteWorker::kill);
    synchronized (lock) {
      List<W> left = new ArrayList<>(idle);
      idle.clear();
      return left;
    }
  }
}
