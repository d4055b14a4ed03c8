package io.dmerge.runner.execute.process;

/**
 * A worker's report that a task attempt failed. The exception travels Java-serialized: it is the
 * user's, of any class, and the driver rethrows it as the cause the user sees.
 */
final class TaskFailure {
  private final byte[] cause;

  TaskFailure(byte[] cause) {
    this.cause = cause;
  }

  static TaskFailure of(Throwable t) {
    try {
      return new TaskFailure(JavaBytes.of(t));
    } catch (RuntimeException notSerializable) {
      // Keep the message and stack, which is what a user needs to find the bug.
      RuntimeException copy = new RuntimeException(t.toString());
      copy.setStackTrace(t.getStackTrace());
      return new TaskFailure(JavaBytes.of(copy));
    }
  }

  byte[] bytes() {
    return cause;
  }

  Throwable cause() {
    try {
      return (Throwable) JavaBytes.read(cause);
    } catch (Exception e) {
      return new RuntimeException("a task failed with an exception the driver cannot deserialize", e);
    }
  }
}
