package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.schedule.WorkerLostException;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.File;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One worker JVM on this machine and its control channel; runs one task at a time, for whichever
 * job it is attached to, and so is used by one thread at a time. It remembers which stage
 * templates the worker has cached in the current job, so each is sent once.
 */
final class WorkerProcess implements AutoCloseable {
  private final Process process;
  private volatile boolean killed;
  private final List<String> jvmArgs;
  private final ControlChannel channel;
  private final Set<Long> cachedTemplates = new HashSet<>();
  private String attachedJob;

  private WorkerProcess(Process process, List<String> jvmArgs) {
    this.process = process;
    this.jvmArgs = jvmArgs;
    this.channel = new ControlChannel(process.getInputStream(), process.getOutputStream());
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
      // The worker drops its template cache on attach; so does this side.
      cachedTemplates.clear();
      channel.write(job);
      attachedJob = job.jobId();
    }
  }

  long pid() {
    return process.pid();
  }

  /** Runs one attempt; a worker that dies or breaks the channel fails it with {@link WorkerLostException}. */
  TaskResult run(TaskSpec task, StageTemplates.Serialized template) throws Exception {
    Object reply;
    try {
      channel.write(TaskEnvelope.of(task, template, cachedTemplates.contains(template.id())));
      // A worker that does not read this envelope is lost and replaced, cache and all.
      cachedTemplates.add(template.id());
      reply = channel.read();
    } catch (IOException e) {
      throw lost(task, e);
    }
    if (reply instanceof TaskFailure) {
      Throwable cause = ((TaskFailure) reply).cause();
      throw cause instanceof Exception ? (Exception) cause : new RuntimeException(cause);
    }
    if (!(reply instanceof TaskResult)) {
      throw lost(task, reply == null ? null : new IOException("unexpected reply " + reply.getClass().getName()));
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
    return !killed && process.isAlive();
  }

  /**
   * Kills the JVM. It counts as dead from here on: the process itself may take a moment to go,
   * and a worker killed by a cancelled job must not go back to the pool in that moment.
   */
  void kill() {
    killed = true;
    process.destroyForcibly();
  }

  /** Closing stdin asks the worker to exit; it is killed if it does not. */
  @Override
  public void close() {
    try {
      channel.close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
