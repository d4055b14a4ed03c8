package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Worker JVMs end with the driver that started them, even in the middle of a task. */
class DriverDeathTest {
  @TempDir Path dir;

  /** A driver whose only task sleeps for minutes, after leaving a marker file. */
  public static void main(String[] args) {
    Pipeline p =
        Pipeline.create(
            PipelineOptionsFactory.fromArgs(
                    "--runner=DmergeRunner", "--executor=process", "--parallelism=1",
                    "--regionDirectory=" + args[1], "--spillDirectory=" + args[2])
                .create());
    p.apply(Create.of(1)).apply(ParDo.of(new SleepFn(args[0])));
    p.run().waitUntilFinish();
  }

  static final class SleepFn extends DoFn<Integer, Integer> {
    private final String marker;

    SleepFn(String marker) {
      this.marker = marker;
    }

    @ProcessElement
    public void process(ProcessContext c) throws Exception {
      Files.createFile(Path.of(marker));
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
      c.output(c.element());
    }
  }

  @Test
  void workersOfAKilledDriverExitMidTask() throws Exception {
    Path marker = dir.resolve("sleeping");
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process driver =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), DriverDeathTest.class.getName(), marker.toString(),
                dir.resolve("regions").toString(), dir.resolve("spill").toString())
            .inheritIO()
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(marker)) {
        assertTrue(driver.isAlive(), "the driver ended before its task started");
        assertTrue(System.nanoTime() < deadline, "the task did not start within 120 s");
        Thread.sleep(100);
      }
      List<ProcessHandle> workers = driver.descendants().collect(Collectors.toList());
      assertFalse(workers.isEmpty(), "the driver started worker JVMs");
      driver.destroyForcibly().waitFor();
      for (ProcessHandle w : workers) {
        w.onExit().get(30, TimeUnit.SECONDS); // far less than the task's five minutes
      }
    } finally {
      driver.destroyForcibly();
      driver.descendants().forEach(ProcessHandle::destroyForcibly);
    }
  }
}
