package io.dmerge.runner.translate;

import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.UnboundedSource.UnboundedReader;
import org.apache.beam.sdk.metrics.MetricsContainer;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
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
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Replaces Beam's {@link BoundedReadFromUnboundedSource} (an unbounded source read up to a record
 * count or for a time, e.g. {@code GenerateSequence.withMaxReadTime}) with the same expansion
 * whose read step reads all shards of a bundle at once, a thread each, instead of one after another.
 *
 * <p>Why: Beam splits such a read into up to 100 shards, each bounded on its own ("each split of
 * the source will read for this much time"). Read one after another, a 10-second read of 100
 * shards on two slots takes 500 seconds of mostly sleeping. Read together, it takes about 10.
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
   * Collects the bundle's shards, then reads them all at once in {@link FinishBundle}: each shard
   * on a thread of its own, so a reader whose {@code advance()} blocks holds up only its own shard;
   * this thread emits what they read, in each shard's order.
   */
  private static final class ReadShardsFn<T> extends DoFn<Shard<T>, ValueWithRecordId<T>> {
    /** Records read ahead of what this thread has emitted, for all shards together. */
    private static final int READ_AHEAD = 1024;
    private transient List<ShardRead<T>> pending;

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element Shard<T> shard, BoundedWindow window) {
      if (shard.maxNumRecords() > 0 && (shard.maxReadTime() == null || shard.maxReadTime().getMillis() > 0)) {
        pending.add(new ShardRead<>(shard, window));
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context, PipelineOptions options) throws Exception {
      List<ShardRead<T>> shards = pending;
      pending = null;
      if (shards.isEmpty()) {
        return;
      }
      BlockingQueue<ShardEvent<T>> events = new ArrayBlockingQueue<>(READ_AHEAD);
      ExecutorService readers =
          Executors.newFixedThreadPool(
              shards.size(),
              new ThreadFactoryBuilder().setNameFormat("dmerge-shard-read-%d").setDaemon(true).build());
      try {
        Instant start = Instant.now();
        // Readers may report metrics (Beam's SourceMetrics, say): into this task's container.
        MetricsContainer metrics = MetricsEnvironment.getCurrentContainer();
        for (ShardRead<T> shard : shards) {
          readers.execute(
              () -> {
                try (Closeable scope = MetricsEnvironment.scopedMetricsContainer(metrics)) {
                  shard.readAll(options, start, events);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
        }
        for (int ended = 0; ended < shards.size(); ) {
          ShardEvent<T> event = events.take();
          if (event.failure() instanceof Exception e) {
            throw e;
          } else if (event.failure() instanceof Error e) {
            throw e;
          } else if (event.record() != null) {
            context.output(event.record(), event.timestamp(), event.shard().window);
          } else {
            ended++;
          }
        }
      } finally {
        // On failure or cancellation: interrupts readers still reading, or waiting for room.
        readers.shutdownNow();
      }
    }
  }

  /** From a shard's reader thread: a record, the shard's failure, or (neither) its end. */
  private record ShardEvent<T>(
      ShardRead<T> shard, @Nullable ValueWithRecordId<T> record, @Nullable Instant timestamp, @Nullable Throwable failure) {}

  /** A shard to read: its source and bounds, and the window its shard element came in. */
  private static final class ShardRead<T> {
    private static final long MIN_IDLE_MILLIS = 10;
    private static final long MAX_IDLE_MILLIS = 1000;
    final Shard<T> shard;
    final BoundedWindow window;

    ShardRead(Shard<T> shard, BoundedWindow window) {
      this.shard = shard;
      this.window = window;
    }

    /**
     * Reads the shard within its bounds into {@code events}, on the calling thread, which the reader
     * stays on: when it has no record, it sleeps (backing off up to {@link #MAX_IDLE_MILLIS}, never
     * past its deadline). It finalizes what it read, as Beam's read does at the end of a shard,
     * and ends with an end or failure event.
     */
    void readAll(PipelineOptions options, Instant start, BlockingQueue<ShardEvent<T>> events) {
      Throwable failure = null;
      try (UnboundedReader<T> reader = SerializableUtils.clone(shard.source()).createReader(options, null)) {
        Instant deadline = shard.maxReadTime() == null ? null : start.plus(shard.maxReadTime());
        long idle = MIN_IDLE_MILLIS;
        boolean available = reader.start();
        for (long records = 0; ; available = reader.advance()) {
          if (available) {
            events.put(new ShardEvent<>(this, new ValueWithRecordId<>(reader.getCurrent(), reader.getCurrentRecordId()), reader.getCurrentTimestamp(), null));
            idle = MIN_IDLE_MILLIS;
            if (++records >= shard.maxNumRecords()) {
              break;
            }
          }
          long left = deadline == null ? Long.MAX_VALUE : deadline.getMillis() - Instant.now().getMillis();
          if (left < 0) {
            break;
          }
          if (!available) {
            Thread.sleep(Math.max(1, Math.min(idle, left)));
            idle = Math.min(2 * idle, MAX_IDLE_MILLIS);
          }
        }
        reader.getCheckpointMark().finalizeCheckpoint();
      } catch (InterruptedException e) {
        // The task stopped reading: it failed or was cancelled.
        return;
      } catch (Throwable t) {
        failure = t;
      }
      try {
        events.put(new ShardEvent<>(this, null, null, failure));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
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
