package io.dmerge.runner.execute.process;

import java.io.Serializable;
import org.apache.beam.sdk.util.SerializableUtils;

/** A worker's report that a task attempt failed, carrying the exception when it can be serialized. */
final class TaskFailure implements Serializable {
  private final Throwable cause;

  private TaskFailure(Throwable cause) {
    this.cause = cause;
  }

  static TaskFailure of(Throwable t) {
    try {
      SerializableUtils.serializeToByteArray(t);
      return new TaskFailure(t);
    } catch (RuntimeException notSerializable) {
      // Keep the message and stack, which is what a user needs to find the bug.
      RuntimeException copy = new RuntimeException(t.toString());
      copy.setStackTrace(t.getStackTrace());
      return new TaskFailure(copy);
    }
  }

  Throwable cause() {
    return cause;
  }
}
