package io.dmerge.runner.schedule;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.shuffle.RegionMeta;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs task attempts somewhere: threads in this JVM, worker processes or pods. It owns the job's
 * regions as the driver sees them, since where tasks run decides where their regions live.
 */
public interface TaskExecutor extends AutoCloseable {

  /** Starts an attempt; the future fails with the attempt's failure. */
  CompletableFuture<TaskResult> submit(TaskSpec task);

  /**
   * Has a running attempt's bounded read give the unread half of its range away, for a new task;
   * null if the attempt is not running or its read declines ({@link LiveRead#splitRest}). The
   * attempt then reads only the primary range the split returns.
   */
  LiveRead.Split splitRest(CompletableFuture<TaskResult> attempt);

  /** Stops running attempts as far as possible. */
  void cancel();

  /** Drops a region that no task will read again, on the node that holds it. */
  void release(RegionMeta region);

  /** Ends the job's workers, then deletes every region of the job (on every node it used). */
  @Override
  void close();

  /** Runs a batch and waits for all of it. */
  default List<CompletableFuture<TaskResult>> submitAll(List<TaskSpec> tasks) {
    return tasks.stream().map(this::submit).toList();
  }
}
