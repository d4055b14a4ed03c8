package io.dmerge.runner.execute;

/** The start of a stage's element flow in one task: a source split, an impulse or a partition. */
interface Root extends AutoCloseable {
  void run() throws Exception;

  @Override
  default void close() {}
}
