package io.dmerge.runner.execute.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Worker JVMs that outlive a job, as executors outlive jobs in a Spark application: the next job
 * of this driver starts on warm workers instead of paying JVM start-up and class loading again.
 * Workers connect back to the pool's {@link WorkerListener} and exit on their own when the driver's
 * end of that connection closes, also when the driver dies.
 */
final class WorkerPool {
  static final WorkerPool SHARED = new WorkerPool();

  private final Deque<WorkerProcess> idle = new ArrayDeque<>();
  private WorkerListener listener;

  synchronized WorkerProcess acquire(List<String> jvmArgs) {
    while (!idle.isEmpty()) {
      WorkerProcess w = idle.poll();
      if (w.isAlive() && w.jvmArgs().equals(jvmArgs)) {
        return w;
      }
      w.close();
    }
    try {
      if (listener == null) {
        listener = new WorkerListener();
      }
      return WorkerProcess.start(jvmArgs, listener);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a Dmerge worker JVM", e);
    }
  }

  /** Takes a worker back after its job; dead ones are dropped. */
  synchronized void release(WorkerProcess w) {
    if (w.isAlive()) {
      idle.push(w);
    }
  }
}
