package io.dmerge.bench.control;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * A source split into many small tasks, each running a fused 5-step ParDo chain that reads a side
 * input, into a per-key sum: the stage both benchmarks send to workers, task after task.
 */
public final class ChainPipeline {
  private ChainPipeline() {}

  public static Pipeline build(PipelineOptions options, int shards, int perShard) {
    Pipeline p = Pipeline.create(options);
    PCollectionView<Long> offset = p.apply("Offset", Create.of(1L, 2L, 3L)).apply(Sum.longsGlobally().asSingletonView());
    PCollection<Long> total =
        p.apply("Numbers", Read.from(new ShardedSource(0, shards, perShard)))
            .apply("AddOffset", ParDo.of(new AddSide(offset)).withSideInputs(offset))
            .apply("Double", MapElements.into(TypeDescriptors.longs()).via((Long x) -> 2 * x))
            .apply("DropSevens", Filter.by((Long x) -> x % 7 != 0))
            .apply("Key", WithKeys.of((Long x) -> x % 16).withKeyType(TypeDescriptors.longs()))
            .apply("Values", MapElements.into(TypeDescriptors.longs()).via((KV<Long, Long> kv) -> kv.getValue()))
            .apply("Sum", Sum.longsGlobally());
    PAssert.thatSingleton(total).isEqualTo(expected((long) shards * perShard, 6L));
    return p;
  }

  private static long expected(long n, long offset) {
    long sum = 0;
    for (long x = 0; x < n; x++) {
      long y = 2 * (x + offset);
      if (y % 7 != 0) {
        sum += y;
      }
    }
    return sum;
  }

  static final class AddSide extends DoFn<Long, Long> {
    private final PCollectionView<Long> side;

    AddSide(PCollectionView<Long> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() + c.sideInput(side));
    }
  }
}
