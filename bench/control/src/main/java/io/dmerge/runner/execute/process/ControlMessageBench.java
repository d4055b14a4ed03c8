package io.dmerge.runner.execute.process;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import java.io.Serializable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Driver encode plus worker decode of one control message, per message, without the pipe. A
 * task's decode ends where the worker has a {@link TaskSpec} with its own deserialized DoFns, so
 * the cached-template variants include deserializing the template bytes again.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
public class ControlMessageBench {
  /** chain: a task of the 5-step ParDo chain (source split, side input); merge: a task reading 200 regions. */
  @Param({"chain", "merge"})
  public String stage;

  private ControlFixture fixture;
  private TaskSpec task;
  private StageTemplates.Serialized template;
  private final Kryo kryo = ControlCodec.kryo();
  private final Kryo kryoRegionsResult = ControlCodec.kryo();
  private final Output output = new Output(4096, -1);
  private final Input input = new Input();

  /** The cached-template envelope, Java-serialized: what the cache alone buys, without Kryo. */
  record JavaEnvelope(long templateId, byte[] template, int index, int attempt, TaskInput input) implements Serializable {}

  @Setup
  public void setup() throws Exception {
    fixture = new ControlFixture();
    task = stage.equals("chain") ? fixture.chainTask : fixture.mergeTask;
    template = new StageTemplates().of(task);
    kryoRegionsResult.register(TaskResult.class, new KryoRegionsResultSerializer(), 16);
  }

  private Object kryoRoundTrip(Object message) {
    return kryoRoundTrip(kryo, message);
  }

  private Object kryoRoundTrip(Kryo k, Object message) {
    output.reset();
    k.writeClassAndObject(output, message);
    input.setBuffer(output.getBuffer(), 0, output.position());
    return k.readClassAndObject(input);
  }

  private static Object javaRoundTrip(Object message) throws Exception {
    return JavaBytes.read(JavaBytes.of(message));
  }

  /** Before: every task carries its whole spec, Java-serialized. */
  @Benchmark
  public Object taskJavaFullSpec() throws Exception {
    return javaRoundTrip(task);
  }

  /** After, every task but a worker's first of the stage: Kryo envelope, template from the cache. */
  @Benchmark
  public Object taskKryoCachedTemplate() throws Exception {
    TaskEnvelope e = (TaskEnvelope) kryoRoundTrip(TaskEnvelope.of(task, template, true));
    return e.spec(template.bytes());
  }

  /** After, a worker's first task of the stage: the template bytes (serialized once per job) ride along. */
  @Benchmark
  public Object taskKryoFirstOfStage() throws Exception {
    TaskEnvelope e = (TaskEnvelope) kryoRoundTrip(TaskEnvelope.of(task, template, false));
    return e.spec(e.template());
  }

  /** The cache without Kryo: the same envelope, Java-serialized. */
  @Benchmark
  public Object taskJavaCachedTemplate() throws Exception {
    JavaEnvelope e = (JavaEnvelope) javaRoundTrip(new JavaEnvelope(template.id(), null, task.index(), task.attempt(), task.input()));
    return ((StageTemplate) JavaBytes.read(template.bytes())).task(e.index(), e.attempt(), e.input(), null);
  }

  /** The floor of any scheme that gives each task fresh DoFns: deserializing the template alone. */
  @Benchmark
  public Object taskTemplateOnly() throws Exception {
    return JavaBytes.read(template.bytes());
  }

  @Benchmark
  public Object resultJava() throws Exception {
    return javaRoundTrip(fixture.result);
  }

  /** After: the channel's frame, which carries the result Java-serialized whole. */
  @Benchmark
  public Object resultChannel() {
    return kryoRoundTrip(fixture.result);
  }

  /** Not adopted: region refs with Kryo, metrics as Java bytes. */
  @Benchmark
  public Object resultKryoRegions() {
    return kryoRoundTrip(kryoRegionsResult, fixture.result);
  }

  @Benchmark
  public Object attachJava() throws Exception {
    return javaRoundTrip(fixture.job);
  }

  @Benchmark
  public Object attachKryo() {
    return kryoRoundTrip(fixture.attach);
  }
}
