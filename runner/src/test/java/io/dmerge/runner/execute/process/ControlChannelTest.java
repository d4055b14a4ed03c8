package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.translate.PipelineTranslator;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.CountingSource;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The control channel's frames and the stage template cache, without worker processes. */
class ControlChannelTest {
  private static final RegionRef REF =
      new RegionRef(new RegionMeta("node-1", "s0-t3-a0-w0", 12345L), AccessKey.random());

  /** Writes messages one way and reads them back, as the other end of the pipe would. */
  private static List<Object> roundTrip(Object... messages) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    ControlChannel writer = new ControlChannel(new ByteArrayInputStream(new byte[0]), wire);
    for (Object m : messages) {
      writer.write(m);
    }
    ControlChannel reader = new ControlChannel(new ByteArrayInputStream(wire.toByteArray()), new ByteArrayOutputStream());
    List<Object> read = new ArrayList<>();
    for (Object m = reader.read(); m != null; m = reader.read()) {
      read.add(m);
    }
    return read;
  }

  private static Object readFrom(byte[] wire) throws IOException {
    return new ControlChannel(new ByteArrayInputStream(wire), new ByteArrayOutputStream()).read();
  }

  @Test
  void everyMessageSurvivesTheWire() throws Exception {
    ShmConfig job = new ShmConfig("job-1", Path.of("/dev/shm/dmerge"), Path.of("/tmp/spill"), 1L << 30, "node-1");
    TaskEnvelope partition = new TaskEnvelope(7, new byte[] {1, 2, 3}, 2, 1, new TaskInput.Partition(1, List.of(REF, REF)), null);
    TaskEnvelope split = new TaskEnvelope(7, null, 0, 0, new TaskInput.SourceSplit(CountingSource.upTo(10)), null);
    StreamRound round = new StreamRound(3, new Instant(10), new Instant(20), Map.of("view", new Instant(5)));
    TaskEnvelope impulse = new TaskEnvelope(8, null, 0, 2, new TaskInput.Impulse(), null);
    TaskEnvelope event = new TaskEnvelope(9, null, 1, 0, new TaskInput.StreamEvent(4), round);
    MetricsContainerStepMap metrics = new MetricsContainerStepMap();
    metrics.getContainer("step").getCounter(MetricName.named("ns", "c")).inc(5);
    TaskResult result = new TaskResult(Map.of("boundary", REF), metrics);
    TaskFailure failure = TaskFailure.of(new IllegalStateException("boom"));

    List<Object> read = roundTrip(job, partition, split, impulse, result, failure, event, new JobEnd());

    assertEquals(job, read.get(0));
    TaskEnvelope p = (TaskEnvelope) read.get(1);
    assertEquals(7, p.templateId());
    assertArrayEquals(new byte[] {1, 2, 3}, p.template());
    assertEquals(2, p.index());
    assertEquals(1, p.attempt());
    assertEquals(new TaskInput.Partition(1, List.of(REF, REF)), p.input());
    assertNull(p.round());
    TaskEnvelope s = (TaskEnvelope) read.get(2);
    assertNull(s.template());
    assertEquals(CountingSource.upTo(10), ((TaskInput.SourceSplit) s.input()).source());
    assertTrue(((TaskEnvelope) read.get(3)).input() instanceof TaskInput.Impulse);
    TaskResult r = (TaskResult) read.get(4);
    assertEquals(Map.of("boundary", REF), r.regions());
    assertEquals(
        5L, r.metrics().getContainer("step").getCounter(MetricName.named("ns", "c")).getCumulative().longValue());
    Throwable cause = ((TaskFailure) read.get(5)).cause();
    assertTrue(cause instanceof IllegalStateException);
    assertEquals("boom", cause.getMessage());
    TaskEnvelope e = (TaskEnvelope) read.get(6);
    assertEquals(new TaskInput.StreamEvent(4), e.input());
    assertEquals(round, e.round());
    assertEquals(new JobEnd(), read.get(7));
  }

  @Test
  void anAttachCarriesTheDriversElementMetadataSwitch() throws Exception {
    ShmConfig job = new ShmConfig("job-1", Path.of("/dev/shm/dmerge"), Path.of("/tmp/spill"), 1L << 30, "node-1");
    for (boolean metadata : new boolean[] {true, false}) {
      JobAttach read = (JobAttach) roundTrip(new JobAttach(job, NodeDirectory.EMPTY, metadata)).get(0);
      assertEquals(job, read.job());
      assertEquals(NodeDirectory.EMPTY.spec(), read.agents().spec());
      assertEquals(metadata, read.elementMetadata());
    }
  }

  @Test
  void anExceptionThatCannotBeSerializedKeepsItsMessageAndStack() throws Exception {
    Exception unserializable = new IllegalStateException("boom") {
      private final Object notSerializable = new Object();
    };
    Throwable cause = ((TaskFailure) roundTrip(TaskFailure.of(unserializable)).get(0)).cause();
    assertTrue(cause.getMessage().contains("boom"), cause.getMessage());
    assertArrayEquals(unserializable.getStackTrace(), cause.getStackTrace());
  }

  @Test
  void whatIsNotAControlFrameIsAnIOException() throws IOException {
    assertThrows(IOException.class, () -> readFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
    assertThrows(IOException.class, () -> readFrom(new byte[] {0, 0, 0, 9, 1, 2}), "a truncated frame");
    assertThrows(IOException.class, () -> readFrom(frame(new byte[] {99, 0, 0})), "an unregistered class id");
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    new ControlChannel(new ByteArrayInputStream(new byte[0]), wire).write(new TaskInput.Impulse());
    byte[] longer = Arrays.copyOf(wire.toByteArray(), wire.size() + 1);
    longer[3]++;
    assertThrows(IOException.class, () -> readFrom(longer), "a frame with bytes left over");
    assertNull(readFrom(new byte[0]), "a clean end of stream");
  }

  private static byte[] frame(byte[] payload) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(wire);
    out.writeInt(payload.length);
    out.write(payload);
    return wire.toByteArray();
  }

  @Test
  void aStageIsSerializedOnceAndEveryTaskDeserializesItsOwnObjects() throws Exception {
    Stage stage = firstStage();
    SerializablePipelineOptions options = new SerializablePipelineOptions(PipelineOptionsFactory.create());
    TaskSpec t0 = new TaskSpec(0, 0, 0, stage, new TaskInput.Impulse(), Map.of(), 2, 4096, options);
    TaskSpec t1 = new TaskSpec(0, 1, 0, stage, new TaskInput.Impulse(), Map.of(), 2, 4096, options);
    StageTemplates templates = new StageTemplates();

    StageTemplates.Serialized first = templates.of(t0);
    assertSame(first, templates.of(t1), "tasks of one stage share one serialized template");

    TaskSpec a = TaskEnvelope.of(t1, first, false).spec(first.bytes());
    TaskSpec b = TaskEnvelope.of(t1, first, true).spec(first.bytes());
    assertEquals(1, a.index());
    assertEquals(stage.toString(), a.stage().toString());
    assertNotSame(a.stage(), b.stage(), "each task gets freshly deserialized steps");
    assertNotSame(stage, a.stage());

    TaskSpec otherOptions = new TaskSpec(0, 2, 0, stage, new TaskInput.Impulse(), Map.of(), 2, 4096,
        new SerializablePipelineOptions(PipelineOptionsFactory.create()));
    assertTrue(templates.of(otherOptions).id() != first.id(), "a different template gets a different id");
  }

  static Stage firstStage() {
    Pipeline p = Pipeline.create();
    p.apply(Create.of(1, 2, 3)).apply(ParDo.of(new Identity())).apply(WithKeys.of(0)).apply(GroupByKey.create());
    return Planner.plan(PipelineTranslator.translate(p)).stages().get(0);
  }

  static final class Identity extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element());
    }
  }
}
