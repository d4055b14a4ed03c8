package io.dmerge.runner.execute.process;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.dmerge.runner.execute.LiveRead;
import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.BoundedSource;

/**
 * Kryo encodings of the control messages: {@link JobAttach}, {@link JobEnd}, {@link TaskEnvelope},
 * {@link TaskResult}, {@link TaskFailure}, {@link SplitRequest} and {@link SplitReply}.
 * Registration is required and every class has an explicit serializer, so the wire format is
 * exactly what is written here and nothing else can be decoded. User objects inside them (stage
 * template, source split, exception) stay Java-serialized byte arrays, as Beam requires them to be
 * Serializable, not Kryo-safe; so does a whole result.
 */
final class ControlCodec {
  private ControlCodec() {}

  /** A new Kryo for one channel; Kryo instances are not thread-safe. */
  static Kryo kryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(ShmConfig.class, new ShmConfigSerializer(), 10);
    kryo.register(TaskEnvelope.class, new TaskEnvelopeSerializer(), 11);
    kryo.register(TaskInput.SourceSplit.class, new SourceSplitSerializer(), 12);
    kryo.register(TaskInput.Impulse.class, new ImpulseSerializer(), 13);
    kryo.register(TaskInput.Partition.class, new PartitionSerializer(), 14);
    kryo.register(RegionRef.class, new RegionRefSerializer(), 15);
    kryo.register(TaskResult.class, new TaskResultSerializer(), 16);
    kryo.register(TaskFailure.class, new TaskFailureSerializer(), 17);
    kryo.register(JobAttach.class, new JobAttachSerializer(), 18);
    kryo.register(TaskInput.StreamEvent.class, new StreamEventSerializer(), 19);
    kryo.register(JobEnd.class, new JobEndSerializer(), 20);
    kryo.register(SplitRequest.class, new SplitRequestSerializer(), 21);
    kryo.register(SplitReply.class, new SplitReplySerializer(), 22);
    return kryo;
  }

  private static void writeBytes(Output out, byte[] bytes) {
    out.writeVarInt(bytes.length, true);
    out.writeBytes(bytes);
  }

  private static byte[] readBytes(Input in) {
    return in.readBytes(in.readVarInt(true));
  }

  /** A user object embedded in a Kryo message; a failure to read one is a corrupt message. */
  private static Object readJava(Input in) {
    try {
      return JavaBytes.read(readBytes(in));
    } catch (IOException | ClassNotFoundException e) {
      throw new KryoException("cannot deserialize an embedded Java object", e);
    }
  }

  private static final class ShmConfigSerializer extends Serializer<ShmConfig> {
    @Override
    public void write(Kryo kryo, Output out, ShmConfig job) {
      out.writeString(job.jobId());
      out.writeString(job.memoryRoot().toString());
      out.writeString(job.spillRoot().toString());
      out.writeVarLong(job.memoryBudget(), true);
      out.writeString(job.node());
    }

    @Override
    public ShmConfig read(Kryo kryo, Input in, Class<? extends ShmConfig> type) {
      return new ShmConfig(
          in.readString(), Path.of(in.readString()), Path.of(in.readString()), in.readVarLong(true), in.readString());
    }
  }

  private static final class JobAttachSerializer extends Serializer<JobAttach> {
    @Override
    public void write(Kryo kryo, Output out, JobAttach attach) {
      kryo.writeObject(out, attach.job());
      out.writeString(attach.agents().spec());
      out.writeBoolean(attach.elementMetadata());
    }

    @Override
    public JobAttach read(Kryo kryo, Input in, Class<? extends JobAttach> type) {
      ShmConfig job = kryo.readObject(in, ShmConfig.class);
      return new JobAttach(job, NodeDirectory.parse(in.readString()), in.readBoolean());
    }
  }

  private static final class TaskEnvelopeSerializer extends Serializer<TaskEnvelope> {
    @Override
    public void write(Kryo kryo, Output out, TaskEnvelope task) {
      out.writeVarLong(task.templateId(), true);
      out.writeBoolean(task.template() != null);
      if (task.template() != null) {
        writeBytes(out, task.template());
      }
      out.writeVarInt(task.index(), true);
      out.writeVarInt(task.attempt(), true);
      kryo.writeClassAndObject(out, task.input());
      out.writeBoolean(task.round() != null);
      if (task.round() != null) {
        writeBytes(out, JavaBytes.of(task.round()));
      }
    }

    @Override
    public TaskEnvelope read(Kryo kryo, Input in, Class<? extends TaskEnvelope> type) {
      long templateId = in.readVarLong(true);
      byte[] template = in.readBoolean() ? readBytes(in) : null;
      int index = in.readVarInt(true);
      int attempt = in.readVarInt(true);
      TaskInput input = (TaskInput) kryo.readClassAndObject(in);
      StreamRound round = in.readBoolean() ? (StreamRound) readJava(in) : null;
      return new TaskEnvelope(templateId, template, index, attempt, input, round);
    }
  }

  private static final class SourceSplitSerializer extends Serializer<TaskInput.SourceSplit> {
    @Override
    public void write(Kryo kryo, Output out, TaskInput.SourceSplit split) {
      writeBytes(out, JavaBytes.of(split.source()));
    }

    @Override
    public TaskInput.SourceSplit read(Kryo kryo, Input in, Class<? extends TaskInput.SourceSplit> type) {
      return new TaskInput.SourceSplit((BoundedSource<?>) readJava(in));
    }
  }

  private static final class JobEndSerializer extends Serializer<JobEnd> {
    @Override
    public void write(Kryo kryo, Output out, JobEnd end) {}

    @Override
    public JobEnd read(Kryo kryo, Input in, Class<? extends JobEnd> type) {
      return new JobEnd();
    }
  }

  private static final class ImpulseSerializer extends Serializer<TaskInput.Impulse> {
    @Override
    public void write(Kryo kryo, Output out, TaskInput.Impulse impulse) {}

    @Override
    public TaskInput.Impulse read(Kryo kryo, Input in, Class<? extends TaskInput.Impulse> type) {
      return new TaskInput.Impulse();
    }
  }

  private static final class StreamEventSerializer extends Serializer<TaskInput.StreamEvent> {
    @Override
    public void write(Kryo kryo, Output out, TaskInput.StreamEvent event) {
      out.writeVarInt(event.event(), true);
    }

    @Override
    public TaskInput.StreamEvent read(Kryo kryo, Input in, Class<? extends TaskInput.StreamEvent> type) {
      return new TaskInput.StreamEvent(in.readVarInt(true));
    }
  }

  private static final class PartitionSerializer extends Serializer<TaskInput.Partition> {
    @Override
    public void write(Kryo kryo, Output out, TaskInput.Partition partition) {
      out.writeVarInt(partition.partition(), true);
      out.writeVarInt(partition.regions().size(), true);
      for (RegionRef ref : partition.regions()) {
        kryo.writeObject(out, ref);
      }
    }

    @Override
    public TaskInput.Partition read(Kryo kryo, Input in, Class<? extends TaskInput.Partition> type) {
      int partition = in.readVarInt(true);
      int n = in.readVarInt(true);
      List<RegionRef> regions = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        regions.add(kryo.readObject(in, RegionRef.class));
      }
      return new TaskInput.Partition(partition, List.copyOf(regions));
    }
  }

  private static final class RegionRefSerializer extends Serializer<RegionRef> {
    @Override
    public void write(Kryo kryo, Output out, RegionRef ref) {
      out.writeString(ref.meta().node());
      out.writeString(ref.meta().id());
      out.writeVarLong(ref.meta().size(), true);
      // The shuffle module's AccessKey is built from hex only; 32 ASCII characters.
      out.writeAscii(ref.key().toHex());
    }

    @Override
    public RegionRef read(Kryo kryo, Input in, Class<? extends RegionRef> type) {
      RegionMeta meta = new RegionMeta(in.readString(), in.readString(), in.readVarLong(true));
      return new RegionRef(meta, AccessKey.fromHex(in.readString()));
    }
  }

  /**
   * A result travels Java-serialized whole. Its bulk is the task's MetricsContainerStepMap (about
   * 25 KB for a 5-step stage with one counter), a runners-core object graph that is Java bytes
   * either way; encoding just the region refs with Kryo measured no gain (bench/README.md).
   */
  private static final class TaskResultSerializer extends Serializer<TaskResult> {
    @Override
    public void write(Kryo kryo, Output out, TaskResult result) {
      writeBytes(out, JavaBytes.of(result));
    }

    @Override
    public TaskResult read(Kryo kryo, Input in, Class<? extends TaskResult> type) {
      return (TaskResult) readJava(in);
    }
  }

  private static final class TaskFailureSerializer extends Serializer<TaskFailure> {
    @Override
    public void write(Kryo kryo, Output out, TaskFailure failure) {
      writeBytes(out, failure.bytes());
    }

    @Override
    public TaskFailure read(Kryo kryo, Input in, Class<? extends TaskFailure> type) {
      return new TaskFailure(readBytes(in));
    }
  }

  private static final class SplitRequestSerializer extends Serializer<SplitRequest> {
    @Override
    public void write(Kryo kryo, Output out, SplitRequest request) {
      out.writeVarInt(request.id(), true);
      out.writeString(request.task());
    }

    @Override
    public SplitRequest read(Kryo kryo, Input in, Class<? extends SplitRequest> type) {
      return new SplitRequest(in.readVarInt(true), in.readString());
    }
  }

  private static final class SplitReplySerializer extends Serializer<SplitReply> {
    @Override
    public void write(Kryo kryo, Output out, SplitReply reply) {
      out.writeVarInt(reply.id(), true);
      out.writeBoolean(reply.split() != null);
      if (reply.split() != null) {
        writeBytes(out, JavaBytes.of(reply.split().primary()));
        writeBytes(out, JavaBytes.of(reply.split().residual()));
      }
    }

    @Override
    public SplitReply read(Kryo kryo, Input in, Class<? extends SplitReply> type) {
      int id = in.readVarInt(true);
      return new SplitReply(
          id, in.readBoolean() ? new LiveRead.Split((BoundedSource<?>) readJava(in), (BoundedSource<?>) readJava(in)) : null);
    }
  }
}
