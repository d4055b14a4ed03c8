package io.dmerge.runner.schedule;

/** A task attempt ended because its worker died or vanished, not because of its own code. */
public final class WorkerLostException extends RuntimeException {
  public WorkerLostException(String message) {
    super(message);
  }

  public WorkerLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
