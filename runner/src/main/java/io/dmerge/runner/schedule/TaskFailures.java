package io.dmerge.runner.schedule;

import io.dmerge.shuffle.DmergeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.beam.sdk.util.UserCodeException;

/**
 * Decides what a failed attempt means. Only failures outside the task's own logic — a lost worker,
 * a region that could not be mapped — are worth another attempt; user code fails the same way
 * again, so it fails the job at once with the user's exception.
 */
final class TaskFailures {
  private TaskFailures() {}

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  static boolean isRetryable(Throwable t) {
    t = unwrap(t);
    if (t instanceof DmergeException.AccessDenied) {
      return false;
    }
    return t instanceof WorkerLostException || t instanceof DmergeException;
  }

  /** The exception a user should see: their own, not the runner's wrapper. */
  static Throwable userFacing(Throwable t) {
    t = unwrap(t);
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof UserCodeException && c.getCause() != null) {
        return c.getCause();
      }
    }
    return t;
  }
}
