package io.dmerge.runner.schedule;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs task attempts somewhere: threads in this JVM, worker processes or pods. */
public interface TaskExecutor extends AutoCloseable {

  /** Starts an attempt; the future fails with the attempt's failure. */
  CompletableFuture<TaskResult> submit(TaskSpec task);

  /** Stops running attempts as far as possible. */
  void cancel();

  @Override
  void close();

  /** Runs a batch and waits for all of it. */
  default List<CompletableFuture<TaskResult>> submitAll(List<TaskSpec> tasks) {
    return tasks.stream().map(this::submit).toList();
  }
}
