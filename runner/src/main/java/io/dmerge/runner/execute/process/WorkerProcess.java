package io.dmerge.runner.execute.process;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM on this machine, speaking the control protocol over its stdin and stdout; runs
 * one task at a time, for whichever job it is attached to.
 */
final class WorkerProcess implements RemoteWorker, AutoCloseable {
  private final Process process;
  private volatile boolean killed;
  private final List<String> jvmArgs;
  private final WorkerConnection connection;

  private WorkerProcess(Process process, List<String> jvmArgs) {
    this.process = process;
    this.jvmArgs = jvmArgs;
    this.connection = new WorkerConnection(process.getInputStream(), process.getOutputStream(), this::whyLost);
  }

  static WorkerProcess start(List<String> jvmArgs) throws IOException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkerMain.class.getName());
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new WorkerProcess(p, List.copyOf(jvmArgs));
  }

  List<String> jvmArgs() {
    return jvmArgs;
  }

  @Override
  public WorkerConnection connection() {
    return connection;
  }

  long pid() {
    return process.pid();
  }

  private String whyLost() {
    String exit;
    try {
      exit = process.waitFor(5, TimeUnit.SECONDS) ? "exited with code " + process.exitValue() : "stopped answering";
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      exit = "was interrupted";
    }
    process.destroyForcibly();
    return "worker " + process.pid() + " " + exit;
  }

  @Override
  public boolean isAlive() {
    return !killed && process.isAlive();
  }

  /**
   * Kills the JVM. It counts as dead from here on: the process itself may take a moment to go,
   * and a worker killed by a cancelled job must not go back to the pool in that moment.
   */
  @Override
  public void kill() {
    killed = true;
    process.destroyForcibly();
  }

  /** Closing stdin asks the worker to exit; it is killed if it does not. */
  @Override
  public void close() {
    try {
      connection.close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
