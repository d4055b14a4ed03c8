package io.dmerge.runner.execute.process;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One worker JVM on this machine, speaking the control protocol over a loopback connection to the
 * driver's {@link WorkerListener}, as a pod does; runs one task at a time, for whichever job it is
 * attached to. Its stdout and stderr are the driver's: the JVM itself may write to stdout ({@code
 * -Xlog}, JFR, native libraries), so the channel cannot be a pipe on it.
 */
final class WorkerProcess implements RemoteWorker, AutoCloseable {
  // A JVM starts in about a second; this allows for a machine busy with other jobs.
  private static final long CONNECT_SECONDS = 120;
  private static final AtomicLong STARTED = new AtomicLong();

  private final Process process;
  private volatile boolean killed;
  private final List<String> jvmArgs;
  private final WorkerConnection connection;

  private WorkerProcess(Process process, List<String> jvmArgs, Socket socket) throws IOException {
    this.process = process;
    this.jvmArgs = jvmArgs;
    this.connection = new WorkerConnection(socket.getInputStream(), socket.getOutputStream(), this::whyLost);
  }

  static WorkerProcess start(List<String> jvmArgs, WorkerListener listener) throws IOException {
    String name = "local-" + ProcessHandle.current().pid() + "-" + STARTED.incrementAndGet();
    CompletableFuture<WorkerListener.Arrival> arrival = listener.expect(name);
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkerMain.class.getName());
    command.add(WorkerMain.CONNECT + InetAddress.getLoopbackAddress().getHostAddress() + ":" + listener.port());
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(WorkerHandshake.TOKEN_ENV, listener.token());
    builder.environment().put(WorkerHandshake.NAME_ENV, name);
    Process p = builder.start();
    p.getOutputStream().close(); // nothing to say on its stdin
    try {
      return new WorkerProcess(p, List.copyOf(jvmArgs), connected(p, name, arrival, listener));
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** The worker's connection once it has made it; fails at once if the JVM exits first (bad JVM options, say). */
  private static Socket connected(
      Process p, String name, CompletableFuture<WorkerListener.Arrival> arrival, WorkerListener listener) throws IOException {
    try {
      CompletableFuture.anyOf(arrival, p.onExit()).get(CONNECT_SECONDS, TimeUnit.SECONDS);
      if (arrival.isDone()) {
        return arrival.get().socket();
      }
      throw new IOException(
          "worker JVM " + p.pid() + " exited with code " + p.exitValue() + " before connecting to the driver (its stderr is above)");
    } catch (TimeoutException e) {
      throw new IOException("worker JVM " + p.pid() + " did not connect to the driver within " + CONNECT_SECONDS + " s");
    } catch (ExecutionException e) {
      throw new IOException("worker JVM " + p.pid() + " could not connect to the driver", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while worker JVM " + p.pid() + " was starting");
    } finally {
      listener.giveUp(name, "the driver stopped waiting for worker " + name);
    }
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

  /** Closing the connection asks the worker to exit; it is killed if it does not. */
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
