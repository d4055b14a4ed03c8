package io.dmerge.runner.translate;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * One translated Beam primitive, referring to PCollections by {@link PCollectionInfo#id()}. The
 * planner fuses element-wise steps into stages; {@link Boundary} steps are where stages meet.
 */
public sealed interface Step extends Serializable {

  /** The transform's full name, also its metrics step name. */
  String name();

  /** PCollections this step reads (main inputs only). */
  List<Integer> inputs();

  /** PCollections this step writes, by output tag. */
  Map<TupleTag<?>, Integer> outputs();

  /** A step that starts a pipeline. */
  sealed interface Root extends Step {
    @Override
    default List<Integer> inputs() {
      return List.of();
    }
  }

  /**
   * A step whose input must be repartitioned or materialized: producers write Dmerge regions,
   * consumers rmap them.
   */
  sealed interface Boundary extends Step {
    /** The single input that producing stages write into regions. */
    int input();

    @Override
    default List<Integer> inputs() {
      return List.of(input());
    }
  }

  record Read(String name, BoundedSource<?> source, Map<TupleTag<?>, Integer> outputs) implements Root {}

  record Impulse(String name, Map<TupleTag<?>, Integer> outputs) implements Root {}

  /**
   * A TestStream: its events, encoded with {@link org.apache.beam.sdk.testing.TestStream.TestStreamCoder}
   * (their values are not Java-serializable), replayed one per round ({@link StreamEvents}).
   */
  record TestStreamRead(String name, Coder<?> valueCoder, byte[] events, Map<TupleTag<?>, Integer> outputs)
      implements Root {}

  record ParDo(
      String name,
      DoFn<?, ?> fn,
      int input,
      Coder<?> inputCoder,
      TupleTag<?> mainOutput,
      List<TupleTag<?>> additionalOutputs,
      Map<TupleTag<?>, Integer> outputs,
      Map<TupleTag<?>, Coder<?>> outputCoders,
      WindowingStrategy<?, ?> windowing,
      List<PCollectionView<?>> sideInputs,
      DoFnSchemaInformation schemaInformation,
      Map<String, PCollectionView<?>> sideInputMapping)
      implements Step {
    @Override
    public List<Integer> inputs() {
      return List.of(input);
    }
  }

  record Flatten(String name, List<Integer> inputs, Map<TupleTag<?>, Integer> outputs) implements Step {}

  record AssignWindows(String name, WindowFn<?, ?> windowFn, int input, Map<TupleTag<?>, Integer> outputs)
      implements Step {
    @Override
    public List<Integer> inputs() {
      return List.of(input);
    }
  }

  /** GroupByKey with full windowing semantics. */
  record GroupByKey(
      String name, int input, Coder<?> keyCoder, Coder<?> valueCoder, WindowingStrategy<?, ?> windowing,
      Map<TupleTag<?>, Integer> outputs)
      implements Boundary {}

  /** Combine.perKey with combiner lifting: partial combine before the shuffle, merge after. */
  record CombinePerKey(
      String name,
      int input,
      GlobalCombineFn<?, ?, ?> fn,
      Coder<?> keyCoder,
      Coder<?> accumulatorCoder,
      WindowingStrategy<?, ?> windowing,
      Map<TupleTag<?>, Integer> outputs)
      implements Boundary {}

  /** A stateful or timer-using ParDo: its input is partitioned by key first. */
  record KeyedParDo(ParDo parDo, Coder<?> keyCoder) implements Boundary {
    @Override
    public String name() {
      return parDo.name();
    }

    @Override
    public int input() {
      return parDo.input();
    }

    @Override
    public Map<TupleTag<?>, Integer> outputs() {
      return parDo.outputs();
    }
  }

  /** Materializes a side input. */
  record CreateView(String name, int input, PCollectionView<?> view, Coder<?> coder, WindowingStrategy<?, ?> windowing)
      implements Boundary {
    @Override
    public Map<TupleTag<?>, Integer> outputs() {
      return Map.of();
    }
  }

  /**
   * Materializes a PCollection and reads it back in a new stage: the planner inserts one where fusing
   * a ParDo would make a stage wait for its own output through a side input, and in a streaming job
   * in front of every ParDo with side inputs, whose elements then wait in the rebalance until the
   * windows they read of the views in {@code waitFor} are complete. With {@code residuals}, it holds
   * the residual restrictions of a splittable DoFn ({@link SplittableWork}) for a later task, and
   * they hold the writing stage's output watermark until then.
   */
  record Rebalance(
      String name, int input, Coder<?> coder, WindowingStrategy<?, ?> windowing, Map<TupleTag<?>, Integer> outputs,
      List<PCollectionView<?>> waitFor, boolean residuals)
      implements Boundary {}
}
