package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.StreamingStore;
import io.dmerge.runner.execute.TaskRunner;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.Dmerges;
import java.io.IOException;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

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

  /** The worker's one argument, followed by the driver's {@code host:port}. */
  public static final String CONNECT = "--connect=";

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || !args[0].startsWith(CONNECT)) {
      throw new IllegalArgumentException("usage: WorkerMain --connect=<driver host>:<port>, with the job's token and the worker's name in "
          + WorkerHandshake.TOKEN_ENV + " and " + WorkerHandshake.NAME_ENV);
    }
    ControlChannel channel = connect(args[0].substring(CONNECT.length()));
    AtomicReference<RunningTask> running = new AtomicReference<>();
    BlockingQueue<Object> inbox = listen(channel, running);
    MetricsEnvironment.setMetricsSupported(true);
    Dmerge dmerge = null;
    // Bytes, not objects: every task deserializes its own DoFns, as Beam's DoFn lifecycle requires.
    Map<Long, byte[]> templates = new HashMap<>();
    // What a streaming job's tasks keep between rounds; the driver sends a partition's every round
    // here. Its kept DoFns are torn down when the job ends, or, best effort, when the worker exits.
    AtomicReference<StreamingStore> streaming = new AtomicReference<>(new StreamingStore());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> streaming.get().close(), "dmerge-teardown"));
    while (true) {
      Object message = inbox.take();
      if (message instanceof JobEnd) {
        templates.clear();
        streaming.getAndSet(new StreamingStore()).close();
        continue;
      }
      if (message instanceof JobAttach attach) {
        if (dmerge != null) {
          dmerge.close();
        }
        dmerge = Dmerges.attach(attach.job(), attach.agents());
        if (attach.elementMetadata()) {
          WindowedValueCoder.setMetadataSupported(); // Beam's switch only turns on, here as in the driver
        }
        templates.clear();
        streaming.getAndSet(new StreamingStore()).close();
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
        TaskSpec spec = task.spec(template);
        LiveRead read = new LiveRead();
        running.set(new RunningTask(spec.name(), read));
        reply = TaskRunner.run(spec, dmerge, streaming.get(), read);
      } catch (Throwable t) {
        reply = TaskFailure.of(t);
      } finally {
        running.set(null);
      }
      channel.write(reply);
    }
  }

  /**
   * Reads the channel on a thread of its own, so that the worker sees its driver go at once, also in
   * the middle of a task whose result would have nowhere to go: when the stream ends (the driver
   * closed it, or died and its kernel closed it) or breaks, the worker exits. Split requests are
   * answered here, while the task runs.
   */
  private static BlockingQueue<Object> listen(ControlChannel channel, AtomicReference<RunningTask> running) {
    BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              int status = 0;
              try {
                for (Object message = channel.read(); message != null; message = channel.read()) {
                  if (message instanceof SplitRequest request) {
                    answer(request, running.get(), channel);
                  } else {
                    inbox.add(message);
                  }
                }
              } catch (IOException e) {
                System.err.println("dmerge worker: the control channel broke: " + e);
                status = 1;
              } catch (RuntimeException | Error e) {
                // From a source asked to split: the driver retries the attempt on another worker.
                System.err.println("dmerge worker: answering a split request failed: " + e);
                status = 1;
              }
              // User code may have left non-daemon threads behind; the driver is done with this worker.
              System.exit(status);
            },
            "dmerge-control-reader");
    reader.setDaemon(true);
    reader.start();
    return inbox;
  }

  /**
   * Splits the running task's read if it is the one asked about, and replies while still holding the
   * channel: the task's result, written after its read ended, cannot overtake the reply.
   */
  private static void answer(SplitRequest request, RunningTask task, ControlChannel channel) throws IOException {
    synchronized (channel) {
      LiveRead.Split split = task != null && task.name().equals(request.task()) ? task.read().splitRest() : null;
      channel.write(new SplitReply(request.id(), split));
    }
  }

  /** The attempt this worker runs, by its TaskSpec name, and its read while it lasts. */
  private record RunningTask(String name, LiveRead read) {}

  private static ControlChannel connect(String driver) throws Exception {
    int colon = driver.lastIndexOf(':');
    Socket socket = new Socket(driver.substring(0, colon), Integer.parseInt(driver.substring(colon + 1)));
    // Control messages are single frames, each flushed whole; do not hold them back.
    socket.setTcpNoDelay(true);
    // A driver whose machine vanished sends no FIN; keep-alive eventually ends the reader's wait.
    socket.setKeepAlive(true);
    WorkerHandshake.send(
        socket.getOutputStream(), System.getenv(WorkerHandshake.TOKEN_ENV), System.getenv(WorkerHandshake.NAME_ENV),
        Objects.requireNonNullElse(System.getenv(WorkerHandshake.NODE_ENV), ""));
    return new ControlChannel(socket.getInputStream(), socket.getOutputStream());
  }
}
