package io.dmerge.runner.execute;

/** A fused step inside a task: started before, finished after its elements, always closed. */
public interface Operator extends Receiver, AutoCloseable {
  default void start() throws Exception {}

  /** Called once all input arrived; may still emit downstream. */
  default void finish() throws Exception {}

  /** Releases resources, also after a failure. */
  @Override
  default void close() {}
}
