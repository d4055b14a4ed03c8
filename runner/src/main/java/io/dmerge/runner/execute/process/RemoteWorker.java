package io.dmerge.runner.execute.process;

/** A worker outside the driver's JVM that {@link WorkerDispatch} hands tasks to. */
public interface RemoteWorker {
  WorkerConnection connection();

  boolean isAlive();

  /** Ends the worker at once; it counts as dead from here on, even while it is still going. */
  void kill();
}
