package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's side of splitting a worker's running read, against a scripted worker: the answer
 * reaches the thread that asked, and an answer that comes after its attempt is not mistaken for
 * one about the next attempt.
 */
class WorkerSplitTest {
  private static final LiveRead.Split SPLIT = new LiveRead.Split(CountingSource.upTo(5), CountingSource.upTo(10));

  private final Socket workerSocket;
  private final Socket driverSocket;
  /** The worker's end: reads what the driver sends, writes what each test scripts. */
  private final ControlChannel worker;
  private final WorkerConnection driver;

  /** A loopback socket pair (pipes would tie each end to the thread that last wrote it). */
  WorkerSplitTest() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      workerSocket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      driverSocket = server.accept();
    }
    // A read that waits for a message that never comes fails the test instead of hanging it.
    workerSocket.setSoTimeout(30_000);
    driverSocket.setSoTimeout(30_000);
    worker = new ControlChannel(workerSocket.getInputStream(), workerSocket.getOutputStream());
    driver = new WorkerConnection(driverSocket.getInputStream(), driverSocket.getOutputStream(), () -> "test worker");
  }

  @AfterEach
  void close() throws IOException {
    workerSocket.close();
    driverSocket.close();
  }

  @Test
  void theAnswerToASplitReachesTheAskerBeforeTheAttemptEnds() throws Exception {
    TaskSpec task = task(0);
    CompletableFuture<TaskResult> run = runAsync(task);
    assertEquals(TaskEnvelope.class, worker.read().getClass());
    CompletableFuture<LiveRead.Split> asked = CompletableFuture.supplyAsync(() -> driver.splitRest(task));
    SplitRequest request = (SplitRequest) worker.read();
    assertEquals(task.name(), request.task());
    worker.write(new SplitReply(request.id(), SPLIT));
    LiveRead.Split split = asked.get(10, TimeUnit.SECONDS);
    assertEquals(SPLIT.primary(), split.primary());
    assertEquals(SPLIT.residual(), split.residual());
    worker.write(result());
    run.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aSplitAskedOfAnAttemptThatEndsUnansweredMadeNoneAndALateAnswerIsSkipped() throws Exception {
    TaskSpec first = task(0);
    CompletableFuture<TaskResult> run = runAsync(first);
    worker.read();
    CompletableFuture<LiveRead.Split> asked = CompletableFuture.supplyAsync(() -> driver.splitRest(first));
    SplitRequest request = (SplitRequest) worker.read();
    // The worker's attempt ended first: its result, then its (empty) answer.
    worker.write(result());
    run.get(10, TimeUnit.SECONDS);
    assertNull(asked.get(10, TimeUnit.SECONDS));
    assertNull(driver.splitRest(first), "an attempt that is not running is not asked");

    TaskSpec second = task(1);
    CompletableFuture<TaskResult> next = runAsync(second);
    worker.read();
    worker.write(new SplitReply(request.id(), null));
    TaskResult expected = result();
    worker.write(expected);
    assertEquals(expected.regions(), next.get(10, TimeUnit.SECONDS).regions());
  }

  private CompletableFuture<TaskResult> runAsync(TaskSpec task) {
    StageTemplates.Serialized template = new StageTemplates().of(task);
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return driver.run(task, template);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static TaskSpec task(int index) {
    return new TaskSpec(
        0, index, 0, ControlChannelTest.firstStage(), new TaskInput.Impulse(), Map.of(), 2, 4096,
        new SerializablePipelineOptions(PipelineOptionsFactory.create()));
  }

  private static TaskResult result() {
    return new TaskResult(Map.of(), new MetricsContainerStepMap());
  }
}
