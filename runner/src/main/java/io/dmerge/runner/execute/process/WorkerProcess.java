package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.WorkerLostException;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM on this machine and its control channel; runs one task at a time, for whichever
 * job it is attached to.
 */
final class WorkerProcess implements AutoCloseable {
  private final Process process;
  private final List<String> jvmArgs;
  private final DataOutputStream toWorker;
  private final DataInputStream fromWorker;
  private String attachedJob;

  private WorkerProcess(Process process, List<String> jvmArgs) {
    this.process = process;
    this.jvmArgs = jvmArgs;
    this.toWorker = new DataOutputStream(new BufferedOutputStream(process.getOutputStream()));
    this.fromWorker = new DataInputStream(new BufferedInputStream(process.getInputStream()));
  }

  static WorkerProcess start(List<String> jvmArgs) throws IOException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new java.util.ArrayList<>();
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

  /** Points the worker at a job's regions; its next tasks belong to that job. */
  void attach(ShmConfig job) throws IOException {
    if (!job.jobId().equals(attachedJob)) {
      Frames.write(toWorker, job);
      attachedJob = job.jobId();
    }
  }

  long pid() {
    return process.pid();
  }

  /** Runs one attempt; a worker that dies or breaks the channel fails it with {@link WorkerLostException}. */
  TaskResult run(TaskSpec task) throws Exception {
    Object reply;
    try {
      Frames.write(toWorker, task);
      reply = Frames.read(fromWorker);
    } catch (IOException e) {
      throw lost(task, e);
    }
    if (reply == null) {
      throw lost(task, null);
    }
    if (reply instanceof TaskFailure) {
      Throwable cause = ((TaskFailure) reply).cause();
      throw cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
    }
    return (TaskResult) reply;
  }

  private WorkerLostException lost(TaskSpec task, IOException e) {
    String exit;
    try {
      exit = process.waitFor(5, TimeUnit.SECONDS) ? "exited with code " + process.exitValue() : "stopped answering";
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      exit = "was interrupted";
    }
    process.destroyForcibly();
    return new WorkerLostException("worker " + process.pid() + " " + exit + " while running task " + task.name(), e);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  void kill() {
    process.destroyForcibly();
  }

  /** Closing stdin asks the worker to exit; it is killed if it does not. */
  @Override
  public void close() {
    try {
      toWorker.close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
