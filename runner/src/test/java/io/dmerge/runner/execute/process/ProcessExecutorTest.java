package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.JavaFieldSchema;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.RowWithGetters;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks in separate worker JVMs exchange data only through Dmerge regions. Its DoFns serve the pod executor's test too. */
public class ProcessExecutorTest {
  @TempDir Path regions;
  @TempDir Path spill;
  @TempDir Path markers;

  private Pipeline pipeline() {
    return pipeline("--maxTaskAttempts=3");
  }

  /** Two worker processes, regions under the test's directories, and these options. */
  private Pipeline pipeline(String... options) {
    String[] args =
        Stream.concat(
                Stream.of(
                    "--runner=DmergeRunner", "--executor=process", "--parallelism=2",
                    "--regionDirectory=" + regions, "--spillDirectory=" + spill),
                Stream.of(options))
            .toArray(String[]::new);
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
  }

  private long leftoverFiles() throws IOException {
    try (Stream<Path> a = Files.walk(regions); Stream<Path> b = Files.walk(spill)) {
      return Stream.concat(a, b).filter(Files::isRegularFile).count();
    }
  }

  @Test
  void shuffleAndSideInputAcrossWorkerProcesses() throws IOException {
    Pipeline p = pipeline();
    PCollection<Integer> numbers = p.apply(Create.of(1, 2, 3, 4, 5, 6));
    PCollectionView<Integer> total = numbers.apply(Sum.integersGlobally().asSingletonView());
    PCollection<KV<String, Long>> counts =
        numbers.apply(ParDo.of(new Parity())).apply(Count.perKey());
    PAssert.that(counts).containsInAnyOrder(KV.of("even", 3L), KV.of("odd", 3L));
    PCollection<Integer> scaled = numbers.apply("Scale", ParDo.of(new TimesSide(total)).withSideInputs(total));
    PAssert.that(scaled).containsInAnyOrder(21, 42, 63, 84, 105, 126);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertEquals(0, leftoverFiles());
  }

  /**
   * One key with more values in each of two windows than a worker's heap holds: the GroupByKey
   * hands them out as a view of the mapped regions, read again on each iteration, not as a list.
   */
  @Test
  void aKeyWithMoreValuesThanAWorkersHeapIsGroupedPerWindow() throws IOException {
    Pipeline p = pipeline("--maxTaskAttempts=1", "--workerJvmOptions=-XX:+UseParallelGC -Xmx64m");
    PCollection<KV<String, Long>> sizes =
        p.apply(Create.of(0, 1, 2, 3, 4, 5, 6, 7))
            .apply(ParDo.of(new ManyValuesOfOneKey()))
            .apply(Window.into(FixedWindows.of(Duration.standardHours(1))))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new CountTwice()));
    KV<String, Long> oneWindow = KV.of("hot", 4L * ManyValuesOfOneKey.VALUES);
    PAssert.that(sizes).containsInAnyOrder(oneWindow, oneWindow);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  /**
   * 20,000 values of 1 KiB each under one key, in the first hour for seeds 0 to 3 and in the second
   * for the others: about 80 MiB per hour for eight seeds.
   */
  static final class ManyValuesOfOneKey extends DoFn<Integer, KV<String, byte[]>> {
    static final int VALUES = 20_000;

    @ProcessElement
    public void process(@Element Integer seed, OutputReceiver<KV<String, byte[]>> out) {
      Instant hour = new Instant(0).plus(Duration.standardHours(seed / 4));
      for (int i = 0; i < VALUES; i++) {
        byte[] value = new byte[1024];
        value[0] = (byte) i;
        value[1023] = seed.byteValue();
        out.outputWithTimestamp(KV.of("hot", value), hour.plus(Duration.millis(i)));
      }
    }
  }

  /** Counts a group's values in two passes, as a DoFn may: both must see all of them. */
  static final class CountTwice extends DoFn<KV<String, Iterable<byte[]>>, KV<String, Long>> {
    @ProcessElement
    public void process(@Element KV<String, Iterable<byte[]>> group, OutputReceiver<KV<String, Long>> out) {
      long first = 0;
      long bytes = 0;
      for (byte[] v : group.getValue()) {
        first++;
        bytes += v.length;
      }
      long second = 0;
      for (byte[] v : group.getValue()) {
        second++;
      }
      if (first != second || bytes != first * 1024) {
        throw new IllegalStateException(first + " values, then " + second + "; " + bytes + " bytes");
      }
      out.output(KV.of(group.getKey(), first));
    }
  }

  /** Sleeps a minute per element: a task that is still running when the test cancels its job. */
  static final class Sleepy extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer x, OutputReceiver<Integer> out) throws InterruptedException {
      Thread.sleep(60_000);
      out.output(x);
    }
  }

  @Test
  void cancellingAJobKillsItsBusyWorkersAndStartsNoOthers() throws Exception {
    Pipeline p = pipeline();
    p.apply(Create.of(1, 2)).apply(ParDo.of(new Sleepy()));
    PipelineResult result = p.run();
    assertNull(result.waitUntilFinish(Duration.standardSeconds(3)));
    Set<Long> before = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    assertEquals(PipelineResult.State.CANCELLED, result.waitUntilFinish(Duration.standardSeconds(30)));
    // A worker started for the cancelled job would attach to regions that are gone, and die of it.
    List<Long> started =
        ProcessHandle.current().descendants().map(ProcessHandle::pid).filter(pid -> !before.contains(pid)).toList();
    assertEquals(List.of(), started, "workers started after the cancel");
    assertEquals(0, leftoverFiles());
  }

  @Test
  void aWorkerThatDiesMidTaskIsReplacedAndItsTaskRetried() throws IOException {
    assertRetriedAfterFirstAttempt(new DieOnceFn(markers.resolve("died").toString()), "died");
  }

  /**
   * The JVM writes to its own stdout with {@code -Xlog:gc}, and user code may write raw bytes there:
   * neither reaches the control channel, so every task succeeds on its first attempt.
   */
  @Test
  void writesToAWorkersRealStdoutDoNotDisturbItsChannel() throws IOException {
    Pipeline p = pipeline("--maxTaskAttempts=1", "--workerJvmOptions=-Xlog:gc -Xmx256m");
    PCollection<KV<String, Iterable<Integer>>> grouped =
        p.apply(Create.of(KV.of("a", 1), KV.of("a", 2), KV.of("b", 3)))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new StdoutGarbageFn()));
    PAssert.that(grouped.apply(Count.globally())).containsInAnyOrder(2L);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertEquals(0, leftoverFiles());
  }

  /** Runs a GroupByKey into {@code misbehaving}, whose first attempt leaves {@code marker} and breaks its worker. */
  private void assertRetriedAfterFirstAttempt(DoFn<KV<String, Iterable<Integer>>, KV<String, Iterable<Integer>>> misbehaving, String marker)
      throws IOException {
    Pipeline p = pipeline();
    PCollection<KV<String, Iterable<Integer>>> grouped =
        p.apply(Create.of(KV.of("a", 1), KV.of("a", 2), KV.of("b", 3)))
            .apply(GroupByKey.create())
            .apply(ParDo.of(misbehaving));
    PAssert.that(grouped.apply(Count.globally())).containsInAnyOrder(2L);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertTrue(Files.exists(markers.resolve(marker)), "the first attempt really broke its worker");
    assertEquals(0, leftoverFiles());
  }

  @Test
  void aUserExceptionInAWorkerIsTheJobFailuresCause() throws IOException {
    Pipeline p = pipeline();
    p.apply(Create.of(KV.of("k", 1))).apply(GroupByKey.create()).apply(ParDo.of(new FailingFn()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    assertEquals("boom", e.getCause().getMessage());
    assertEquals(0, leftoverFiles());
  }

  /**
   * Workers cache a stage's template bytes, never its DoFns: every task sees a fresh instance.
   * Create splits into about two tasks per worker, so some worker runs several tasks of the stage.
   */
  @Test
  void everyTaskOfAStageGetsItsOwnDoFnInstance() throws IOException {
    Pipeline p = pipeline();
    PCollection<Integer> out = p.apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8)).apply(ParDo.of(new FreshInstanceFn()));
    PAssert.that(out).containsInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertEquals(0, leftoverFiles());
  }

  @Test
  void workersRunWithTheGivenJvmOptions() throws IOException {
    Pipeline p = pipeline("--workerJvmOptions=-Ddmerge.test.flag=on  -Xmx300m");
    PCollection<String> seen = p.apply(Create.of(1, 2, 3)).apply(ParDo.of(new WorkerJvmFn()));
    PAssert.that(seen).containsInAnyOrder("on 300", "on 300", "on 300");
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aRowThatReadsAUserObjectThroughGeneratedGettersReachesTheWorkerAsItsValues() throws Exception {
    Row captured = SchemaRegistry.createDefault().getToRowFunction(Order.class).apply(new Order("o-1", new Customer("Ada", 3)));
    assertTrue(captured instanceof RowWithGetters, "Beam's getters read the object: " + captured.getClass());
    Schema schema = captured.getSchema();
    Pipeline p = pipeline();
    PCollection<Row> rows = p.apply(Create.of(1)).apply(ParDo.of(new EmitFn(captured))).setRowSchema(schema);
    Row customer = Row.withSchema(schema.getField("customer").getType().getRowSchema()).addValues("Ada", 3).build();
    PAssert.that(rows).containsInAnyOrder(Row.withSchema(schema).addValues("o-1", customer).build());
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @DefaultSchema(JavaFieldSchema.class)
  public static final class Order implements Serializable {
    public String id;
    public Customer customer;

    public Order() {}

    Order(String id, Customer customer) {
      this.id = id;
      this.customer = customer;
    }
  }

  @DefaultSchema(JavaFieldSchema.class)
  public static final class Customer implements Serializable {
    public String name;
    public int tier;

    public Customer() {}

    Customer(String name, int tier) {
      this.name = name;
      this.tier = tier;
    }
  }

  /** Emits the row it holds, as a DoFn that captured a row would. */
  static final class EmitFn extends DoFn<Integer, Row> {
    private final Row row;

    EmitFn(Row row) {
      this.row = row;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(row);
    }
  }

  /** What the worker JVM was started with: a system property and the maximum heap in MiB (about). */
  static final class WorkerJvmFn extends DoFn<Integer, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      long heapMiB = Math.round(Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 100)) * 100;
      c.output(System.getProperty("dmerge.test.flag") + " " + heapMiB);
    }
  }

  public static final class Parity extends DoFn<Integer, KV<String, Integer>> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(KV.of(c.element() % 2 == 0 ? "even" : "odd", c.element()));
    }
  }

  public static final class TimesSide extends DoFn<Integer, Integer> {
    private final PCollectionView<Integer> side;

    public TimesSide(PCollectionView<Integer> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() * c.sideInput(side));
    }
  }

  /**
   * Breaks its worker the first time any task runs it, and only then: the marker file is created
   * atomically, so of two tasks running at once in two workers exactly one breaks its worker.
   */
  public abstract static class BreakOnceFn extends DoFn<KV<String, Iterable<Integer>>, KV<String, Iterable<Integer>>> {
    private final String marker;

    BreakOnceFn(String marker) {
      this.marker = marker;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      try {
        Files.createFile(Path.of(marker));
        breakWorker();
      } catch (FileAlreadyExistsException e) {
        // An earlier attempt broke its worker already; this one runs normally.
      }
      c.output(c.element());
    }

    abstract void breakWorker() throws IOException;
  }

  /** Kills its own JVM, as a crashing pod would. */
  public static final class DieOnceFn extends BreakOnceFn {
    public DieOnceFn(String marker) {
      super(marker);
    }

    @Override
    void breakWorker() {
      Runtime.getRuntime().halt(137);
    }
  }

  /** Writes, to the real stdout of its JVM, bytes that would read as a frame length no control message can have. */
  static final class StdoutGarbageFn extends DoFn<KV<String, Iterable<Integer>>, KV<String, Iterable<Integer>>> {
    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
      stdout.write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 'x', '\n'});
      stdout.flush();
      c.output(c.element());
    }
  }

  public static final class FailingFn extends DoFn<KV<String, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      throw new IllegalStateException("boom");
    }
  }

  /** Fails if its instance was set up before: a DoFn shared between tasks would be. */
  static final class FreshInstanceFn extends DoFn<Integer, Integer> {
    private boolean setUp;

    @Setup
    public void setup() {
      if (setUp) {
        throw new IllegalStateException("this DoFn instance was already set up by an earlier task");
      }
      setUp = true;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element());
    }
  }
}
