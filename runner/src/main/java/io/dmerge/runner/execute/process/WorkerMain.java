package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskRunner;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.Dmerges;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.metrics.MetricsEnvironment;

/**
 * The worker entry point: runs the tasks the driver sends, answering each with a result or a
 * failure, until the driver closes the channel: a connection to the driver's {@link WorkerListener}
 * at {@code --connect=host:port}, opened with a {@link WorkerHandshake} from the environment (a
 * worker JVM the driver started, or a pod). A {@link JobAttach} message attaches the worker to a
 * job's Dmerge regions for the tasks that follow (through the node agents it names, if any, for
 * regions of other nodes), and drops the previous job's stage templates.
 */
public final class WorkerMain {
  private WorkerMain() {}

  static final String CONNECT = "--connect=";
  /** Set by a driver on this machine that started the worker: its pid. */
  static final String DRIVER_PID_ENV = "DMERGE_DRIVER_PID";
  /** Exit code of a worker whose local driver died. */
  static final int DRIVER_GONE = 3;

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || !args[0].startsWith(CONNECT)) {
      throw new IllegalArgumentException("usage: WorkerMain --connect=<driver host>:<port>, with the job's token and the worker's name in "
          + WorkerHandshake.TOKEN_ENV + " and " + WorkerHandshake.NAME_ENV);
    }
    ControlChannel channel = connect(args[0].substring(CONNECT.length()));
    endWithLocalDriver();
    MetricsEnvironment.setMetricsSupported(true);
    Dmerge dmerge = null;
    // Bytes, not objects: every task deserializes its own DoFns, as Beam's DoFn lifecycle requires.
    Map<Long, byte[]> templates = new HashMap<>();
    for (Object message = channel.read(); message != null; message = channel.read()) {
      if (message instanceof JobAttach attach) {
        if (dmerge != null) {
          dmerge.close();
        }
        dmerge = Dmerges.attach(attach.job(), attach.agents());
        templates.clear();
        continue;
      }
      TaskEnvelope task = (TaskEnvelope) message;
      if (task.template() != null) {
        templates.put(task.templateId(), task.template());
      }
      byte[] template = templates.get(task.templateId());
      if (template == null) {
        // The driver's view of this cache is wrong: exit, and the driver retries on a fresh worker.
        throw new IllegalStateException("no stage template " + task.templateId() + " cached in this worker");
      }
      Object reply;
      try {
        reply = TaskRunner.run(task.spec(template), dmerge);
      } catch (Throwable t) {
        reply = TaskFailure.of(t);
      }
      channel.write(reply);
    }
    // User code may have left non-daemon threads behind; the driver is done with this worker.
    System.exit(0);
  }

  /**
   * A worker notices that its driver closed the channel only between tasks; a local driver that
   * dies mid-task takes its workers along at once, instead of leaving them to finish a task whose
   * result has nowhere to go.
   */
  private static void endWithLocalDriver() {
    String pid = System.getenv(DRIVER_PID_ENV);
    if (pid != null) {
      ProcessHandle.of(Long.parseLong(pid))
          .ifPresentOrElse(
              driver -> driver.onExit().thenRun(() -> Runtime.getRuntime().halt(DRIVER_GONE)),
              () -> Runtime.getRuntime().halt(DRIVER_GONE));
    }
  }

  private static ControlChannel connect(String driver) throws Exception {
    int colon = driver.lastIndexOf(':');
    Socket socket = new Socket(driver.substring(0, colon), Integer.parseInt(driver.substring(colon + 1)));
    // Control messages are single frames, each flushed whole; do not hold them back.
    socket.setTcpNoDelay(true);
    WorkerHandshake.send(
        socket.getOutputStream(), System.getenv(WorkerHandshake.TOKEN_ENV), System.getenv(WorkerHandshake.NAME_ENV),
        Objects.requireNonNullElse(System.getenv(WorkerHandshake.NODE_ENV), ""));
    return new ControlChannel(socket.getInputStream(), socket.getOutputStream());
  }
}
