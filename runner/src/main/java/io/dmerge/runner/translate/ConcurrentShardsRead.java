package io.dmerge.runner.translate;

import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.UnboundedReader;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.ValueWithRecordId;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Replaces Beam's {@link BoundedReadFromUnboundedSource} (an unbounded source read up to a record
 * count or for a time, e.g. {@code GenerateSequence.withMaxReadTime}) with the same expansion
 * whose read step polls all shards of a bundle in turn instead of reading them one after another.
 *
 * <p>Why: Beam splits such a read into up to 100 shards, each bounded on its own ("each split of
 * the source will read for this much time"). Read one after another, a 10-second read of 100
 * shards on two slots takes 500 seconds of mostly sleeping. Polled together, it takes about 10.
 * The read time is also checked while records keep coming, which Beam's read checks only when a
 * shard has none ready (so a source that is never idle was read up to its record bound).
 *
 * <p>Output is what the original promises: each shard's records within its bounds, with their
 * timestamps, de-duplicated by record id when the source requires it.
 */
final class ConcurrentShardsRead<T> extends PTransform<PBegin, PCollection<T>> {
  /** Beam's rule for how many shards a read starts with (BoundedReadFromUnboundedSource.SplitFn). */
  private static final int MAX_SHARDS = 100;
  private static final long RECORDS_PER_SHARD = 10_000;

  private final UnboundedSource<T, ?> source;
  private final long maxNumRecords;
  private final @Nullable Duration maxReadTime;

  private ConcurrentShardsRead(UnboundedSource<T, ?> source, long maxNumRecords, @Nullable Duration maxReadTime) {
    this.source = source;
    this.maxNumRecords = maxNumRecords;
    this.maxReadTime = maxReadTime;
  }

  /**
   * The same read as {@code original}. Its bounds are private fields without getters, so they are
   * read reflectively; Beam's version is pinned, and a change of those fields fails here by name.
   */
  @SuppressWarnings("unchecked")
  static <T> ConcurrentShardsRead<T> of(BoundedReadFromUnboundedSource<T> original) {
    return new ConcurrentShardsRead<>(
        (UnboundedSource<T, ?>) field(original, "source"),
        (Long) field(original, "maxNumRecords"),
        (Duration) field(original, "maxReadTime"));
  }

  private static Object field(BoundedReadFromUnboundedSource<?> transform, String name) {
    try {
      Field f = BoundedReadFromUnboundedSource.class.getDeclaredField(name);
      f.setAccessible(true);
      return f.get(transform);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot read field '" + name + "' of " + BoundedReadFromUnboundedSource.class.getName()
              + " (a Beam version this runner was not built for?)", e);
    }
  }

  @Override
  public PCollection<T> expand(PBegin input) {
    PCollection<ValueWithRecordId<T>> read =
        input
            .apply("Impulse", Impulse.create())
            .apply("Split", ParDo.of(new SplitFn<>(new Shard<>(source, maxNumRecords, maxReadTime))))
            .setCoder(SerializableCoder.of(shardClass()))
            .apply("Reshuffle", Reshuffle.viaRandomKey())
            .apply("Read", ParDo.of(new ReadShardsFn<>()))
            .setCoder(ValueWithRecordId.ValueWithRecordIdCoder.of(source.getOutputCoder()));
    if (source.requiresDeduping()) {
      read = read.apply(
          Distinct.<ValueWithRecordId<T>, byte[]>withRepresentativeValueFn(ValueWithRecordId::getId)
              .withRepresentativeType(TypeDescriptor.of(byte[].class)));
    }
    return read.apply("StripIds", ParDo.of(new ValueWithRecordId.StripIdsDoFn<T>())).setCoder(source.getOutputCoder());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T> Class<Shard<T>> shardClass() {
    return (Class) Shard.class;
  }

  /** One split of the source with its own bounds. */
  record Shard<T>(UnboundedSource<T, ?> source, long maxNumRecords, @Nullable Duration maxReadTime)
      implements Serializable {}

  /** Splits the source as Beam does, and divides the record bound among the splits. */
  private static final class SplitFn<T> extends DoFn<byte[], Shard<T>> {
    private final Shard<T> whole;

    SplitFn(Shard<T> whole) {
      this.whole = whole;
    }

    @ProcessElement
    public void process(OutputReceiver<Shard<T>> out, PipelineOptions options) throws Exception {
      int wanted = (int) Math.min(MAX_SHARDS, whole.maxNumRecords() / RECORDS_PER_SHARD + 1);
      List<? extends UnboundedSource<T, ?>> splits = whole.source().split(wanted, options);
      for (int i = 0; i < splits.size(); i++) {
        long records = whole.maxNumRecords() / splits.size() + (i < whole.maxNumRecords() % splits.size() ? 1 : 0);
        out.output(new Shard<>(splits.get(i), records, whole.maxReadTime()));
      }
    }
  }

  /**
   * Collects the bundle's shards, then reads them all at once in {@link FinishBundle}: each pass
   * asks every open reader for one record; a pass without any sleeps (backing off up to
   * {@link #MAX_IDLE_MILLIS}, never past the nearest read deadline).
   */
  private static final class ReadShardsFn<T> extends DoFn<Shard<T>, ValueWithRecordId<T>> {
    private static final long MIN_IDLE_MILLIS = 10;
    private static final long MAX_IDLE_MILLIS = 1000;
    private transient List<OpenShard<T>> pending;

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element Shard<T> shard, BoundedWindow window) {
      if (shard.maxNumRecords() > 0 && (shard.maxReadTime() == null || shard.maxReadTime().getMillis() > 0)) {
        pending.add(new OpenShard<>(shard, window));
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context, PipelineOptions options) throws Exception {
      List<OpenShard<T>> open = new ArrayList<>();
      try {
        Instant start = Instant.now();
        for (OpenShard<T> s : pending) {
          s.open(options, start);
          open.add(s);
        }
        long idle = MIN_IDLE_MILLIS;
        while (!open.isEmpty()) {
          boolean read = false;
          Instant now = Instant.now();
          for (Iterator<OpenShard<T>> it = open.iterator(); it.hasNext(); ) {
            OpenShard<T> s = it.next();
            if (!s.pastDeadline(now) && s.advance()) {
              context.output(s.current(), s.reader.getCurrentTimestamp(), s.window);
              read = true;
            }
            if (s.pastDeadline(now) || s.exhausted()) {
              s.finish();
              it.remove();
            }
          }
          if (read) {
            idle = MIN_IDLE_MILLIS;
          } else if (!open.isEmpty()) {
            Thread.sleep(Math.max(1, Math.min(idle, millisToNearestDeadline(open))));
            idle = Math.min(2 * idle, MAX_IDLE_MILLIS);
          }
        }
      } finally {
        for (OpenShard<T> s : pending) {
          s.close();
        }
        pending = null;
      }
    }

    private static long millisToNearestDeadline(List<? extends OpenShard<?>> open) {
      long now = Instant.now().getMillis();
      long nearest = Long.MAX_VALUE;
      for (OpenShard<?> s : open) {
        if (s.deadline != null) {
          nearest = Math.min(nearest, s.deadline.getMillis() - now);
        }
      }
      return nearest;
    }
  }

  /** A shard being read: its reader, how many records it gave, and when its read time ends. */
  private static final class OpenShard<T> {
    final Shard<T> shard;
    final BoundedWindow window;
    UnboundedReader<T> reader;
    @Nullable Instant deadline;
    long records;
    boolean started;

    OpenShard(Shard<T> shard, BoundedWindow window) {
      this.shard = shard;
      this.window = window;
    }

    void open(PipelineOptions options, Instant start) throws IOException {
      reader = SerializableUtils.clone(shard.source()).createReader(options, null);
      deadline = shard.maxReadTime() == null ? null : start.plus(shard.maxReadTime());
    }

    boolean advance() throws IOException {
      boolean available = started ? reader.advance() : reader.start();
      started = true;
      if (available) {
        records++;
      }
      return available;
    }

    ValueWithRecordId<T> current() {
      return new ValueWithRecordId<>(reader.getCurrent(), reader.getCurrentRecordId());
    }

    boolean pastDeadline(Instant now) {
      return deadline != null && now.isAfter(deadline);
    }

    boolean exhausted() {
      return records >= shard.maxNumRecords();
    }

    /** Finalizes what was read, as Beam's read does at the end of a shard. */
    void finish() throws IOException {
      reader.getCheckpointMark().finalizeCheckpoint();
      close();
    }

    void close() throws IOException {
      if (reader != null) {
        UnboundedReader<T> r = reader;
        reader = null;
        r.close();
      }
    }
  }

  /** Replaces each {@link BoundedReadFromUnboundedSource} with {@link ConcurrentShardsRead}. */
  static final class OverrideFactory<T>
      implements PTransformOverrideFactory<PBegin, PCollection<T>, BoundedReadFromUnboundedSource<T>> {
    @Override
    public PTransformReplacement<PBegin, PCollection<T>> getReplacementTransform(
        AppliedPTransform<PBegin, PCollection<T>, BoundedReadFromUnboundedSource<T>> transform) {
      return PTransformReplacement.of(transform.getPipeline().begin(), of(transform.getTransform()));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollection<T> newOutput) {
      return ReplacementOutputs.singleton(outputs, newOutput);
    }
  }
}
