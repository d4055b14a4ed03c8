package io.dmerge.runner.execute;

import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.RegionMeta;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * Runs tasks on a pool of threads in this JVM. Each task gets its own deserialized copy of the
 * stage, so DoFn instances are never shared between concurrent tasks, exactly as in a worker.
 */
public final class InProcessExecutor implements TaskExecutor {
  private final Dmerge dmerge;
  private final ExecutorService pool;
  /** Running attempts, and their reads for the scheduler to split. */
  private final Map<CompletableFuture<TaskResult>, LiveRead> running = new ConcurrentHashMap<>();
  private final StreamingStore streamingStore = new StreamingStore();

  /** @param dmerge the job's regions on this node, which this executor closes */
  public InProcessExecutor(Dmerge dmerge, int threads) {
    this.dmerge = dmerge;
    this.pool =
        Executors.newFixedThreadPool(
            threads,
            new ThreadFactoryBuilder().setNameFormat("dmerge-task-%d").setDaemon(true).build());
  }

  @Override
  public CompletableFuture<TaskResult> submit(TaskSpec task) {
    CompletableFuture<TaskResult> result = new CompletableFuture<>();
    LiveRead live = new LiveRead();
    running.put(result, live);
    Future<?> attempt =
        pool.submit(
            () -> {
              try {
                result.complete(TaskRunner.run(SerializableUtils.clone(task), dmerge, streamingStore, live));
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
            });
    result.whenComplete(
        (r, t) -> {
          running.remove(result);
          if (result.isCancelled()) {
            attempt.cancel(true);
          }
        });
    return result;
  }

  @Override
  public LiveRead.Split splitRest(CompletableFuture<TaskResult> attempt) {
    LiveRead live = running.get(attempt);
    return live == null ? null : live.splitRest();
  }

  /** Cancels every running attempt; their threads are interrupted. */
  @Override
  public void cancel() {
    running.keySet().forEach(f -> f.cancel(true));
  }

  @Override
  public void release(RegionMeta region) {
    dmerge.release(region.id());
  }

  @Override
  public void close() {
    try {
      pool.shutdownNow();
      streamingStore.close();
    } finally {
      dmerge.close();
    }
  }
}
