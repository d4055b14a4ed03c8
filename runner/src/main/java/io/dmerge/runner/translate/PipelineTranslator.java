package io.dmerge.runner.translate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterSynchronizedProcessingTime;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.construction.PTransformTranslation;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Walks a Beam pipeline (after {@link PipelineOverrides}) and translates each primitive into a
 * {@link Step}. Combine.perKey composites are kept whole where combiner lifting applies. Anything
 * else fails here, before a task runs, naming the transform and its URN.
 */
public final class PipelineTranslator extends Pipeline.PipelineVisitor.Defaults {
  private final Pipeline pipeline;
  private final List<Step> steps = new ArrayList<>();
  private final Map<PValue, Integer> ids = new HashMap<>();
  private final Map<Integer, PCollectionInfo> pcollections = new LinkedHashMap<>();
  /**
   * Whether the pipeline streams: it reads a TestStream, runs an unbounded splittable DoFn, or
   * triggers on processing time.
   */
  private final boolean streaming;

  private PipelineTranslator(Pipeline pipeline, boolean streaming) {
    this.pipeline = pipeline;
    this.streaming = streaming;
  }

  public static TranslatedPipeline translate(Pipeline pipeline) {
    PipelineOverrides.apply(pipeline);
    PipelineTranslator translator = new PipelineTranslator(pipeline, streams(pipeline));
    pipeline.traverseTopologically(translator);
    return new TranslatedPipeline(List.copyOf(translator.steps), Map.copyOf(translator.pcollections), translator.streaming);
  }

  /**
   * Whether the pipeline runs in rounds: it has a source of unbounded data (a TestStream, an
   * unbounded splittable DoFn), or a trigger that fires on processing time. Such a trigger can fire
   * a pane before all of its window's input is in, which a batch stage, seeing all of its input at
   * once, never would: downstream would see one final pane where the user's pipeline asks for early
   * ones.
   */
  private static boolean streams(Pipeline pipeline) {
    boolean[] found = {false};
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            PTransform<?, ?> t = node.getTransform();
            DoFn<?, ?> fn = t instanceof ParDo.MultiOutput ? ((ParDo.MultiOutput<?, ?>) t).getFn() : null;
            found[0] |=
                t instanceof TestStream
                    || (fn instanceof SplittableProcess.ProcessFn && ((SplittableProcess.ProcessFn<?, ?, ?, ?, ?>) fn).unbounded());
          }

          @Override
          public void visitValue(PValue value, TransformHierarchy.Node producer) {
            found[0] |= value instanceof PCollection && firesOnProcessingTime(((PCollection<?>) value).getWindowingStrategy().getTrigger());
          }
        });
    return found[0];
  }

  private static boolean firesOnProcessingTime(Trigger trigger) {
    return trigger instanceof AfterProcessingTime
        || trigger instanceof AfterSynchronizedProcessingTime
        || trigger.subTriggers().stream().anyMatch(PipelineTranslator::firesOnProcessingTime);
  }

  @Override
  public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
    PTransform<?, ?> transform = node.getTransform();
    if (transform instanceof Combine.PerKey && isLiftable(node, (Combine.PerKey<?, ?, ?>) transform)) {
      translateLiftedCombine(node, (Combine.PerKey<?, ?, ?>) transform);
      return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
    }
    return CompositeBehavior.ENTER_TRANSFORM;
  }

  @Override
  public void visitPrimitiveTransform(TransformHierarchy.Node node) {
    PTransform<?, ?> transform = node.getTransform();
    String urn = PTransformTranslation.urnForTransformOrNull(transform);
    String name = node.getFullName();
    if (transform instanceof TestStream) {
      TestStream<?> stream = (TestStream<?>) transform;
      steps.add(new Step.TestStreamRead(name, stream.getValueCoder(), StreamEvents.encode(stream), outputs(node)));
    } else if (transform instanceof SplittableParDo.PrimitiveBoundedRead) {
      steps.add(new Step.Read(name, ((SplittableParDo.PrimitiveBoundedRead<?>) transform).getSource(), outputs(node)));
    } else if (transform instanceof Read.Bounded) {
      steps.add(new Step.Read(name, ((Read.Bounded<?>) transform).getSource(), outputs(node)));
    } else if (PTransformTranslation.IMPULSE_TRANSFORM_URN.equals(urn)) {
      steps.add(new Step.Impulse(name, outputs(node)));
    } else if (PTransformTranslation.PAR_DO_TRANSFORM_URN.equals(urn)) {
      translateParDo(node, urn);
    } else if (PTransformTranslation.FLATTEN_TRANSFORM_URN.equals(urn)) {
      List<Integer> inputs = new ArrayList<>();
      node.getInputs().values().forEach(pc -> inputs.add(id(pc)));
      steps.add(new Step.Flatten(name, inputs, outputs(node)));
    } else if (PTransformTranslation.ASSIGN_WINDOWS_TRANSFORM_URN.equals(urn)) {
      steps.add(new Step.AssignWindows(name, ((Window.Assign<?>) transform).getWindowFn(), id(mainInput(node)), outputs(node)));
    } else if (PTransformTranslation.GROUP_BY_KEY_TRANSFORM_URN.equals(urn)) {
      PCollection<?> input = mainInput(node);
      KvCoder<?, ?> kv = kvCoder(name, urn, input);
      checkDeterministic(name, urn, kv.getKeyCoder());
      steps.add(new Step.GroupByKey(name, id(input), kv.getKeyCoder(), kv.getValueCoder(), input.getWindowingStrategy(), outputs(node)));
    } else if (PTransformTranslation.CREATE_VIEW_TRANSFORM_URN.equals(urn)) {
      PCollection<?> input = mainInput(node);
      steps.add(
          new Step.CreateView(
              name, id(input), ((View.CreatePCollectionView<?, ?>) transform).getView(), input.getCoder(), input.getWindowingStrategy()));
    } else {
      checkBounded(node, urn);
      throw new UnsupportedTransformException(name, urn, "no translation for this primitive");
    }
  }

  private void translateParDo(TransformHierarchy.Node node, String urn) {
    ParDo.MultiOutput<?, ?> parDo = (ParDo.MultiOutput<?, ?>) node.getTransform();
    PCollection<?> input = mainInput(node);
    Map<TupleTag<?>, Coder<?>> outputCoders = new LinkedHashMap<>();
    node.getOutputs().forEach((tag, pc) -> outputCoders.put(tag, pc.getCoder()));
    Step.ParDo step =
        new Step.ParDo(
            node.getFullName(),
            parDo.getFn(),
            id(input),
            input.getCoder(),
            parDo.getMainOutputTag(),
            new ArrayList<>(parDo.getAdditionalOutputTags().getAll()),
            outputs(node),
            outputCoders,
            input.getWindowingStrategy(),
            new ArrayList<>(parDo.getSideInputs().values()),
            // What ParDoTranslation would compute, without its round trip of the DoFn through a proto.
            ParDo.getDoFnSchemaInformation(parDo.getFn(), input),
            parDo.getSideInputs());
    DoFnSignature signature = DoFnSignatures.getSignature(parDo.getFn().getClass());
    if (signature.processElement().isSplittable()) {
      throw new UnsupportedTransformException(node.getFullName(), urn, "splittable DoFn was not expanded");
    }
    if (DoFnSignatures.isStateful(parDo.getFn()) || signature.usesTimers() || signature.onWindowExpiration() != null) {
      KvCoder<?, ?> kv = kvCoder(node.getFullName(), urn, input);
      checkDeterministic(node.getFullName(), urn, kv.getKeyCoder());
      steps.add(new Step.KeyedParDo(step, kv.getKeyCoder()));
    } else {
      steps.add(step);
    }
  }

  private boolean isLiftable(TransformHierarchy.Node node, Combine.PerKey<?, ?, ?> combine) {
    PCollection<?> input = mainInput(node);
    WindowingStrategy<?, ?> windowing = input.getWindowingStrategy();
    // A streaming combine emits panes as the watermark passes windows: the GroupByKey's ReduceFnRunner does that.
    if (streaming
        || !combine.getSideInputs().isEmpty()
        || !windowing.getWindowFn().isNonMerging()
        || !(windowing.getTrigger() instanceof DefaultTrigger)
        || !(input.getCoder() instanceof KvCoder)) {
      return false;
    }
    KvCoder<?, ?> kv = (KvCoder<?, ?>) input.getCoder();
    try {
      kv.getKeyCoder().verifyDeterministic();
      accumulatorCoder(combine, kv);
      return true;
    } catch (Coder.NonDeterministicException | CannotProvideCoderException e) {
      return false;
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Coder<?> accumulatorCoder(Combine.PerKey<?, ?, ?> combine, KvCoder<?, ?> kv) throws CannotProvideCoderException {
    return ((org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn) combine.getFn())
        .getAccumulatorCoder(pipeline.getCoderRegistry(), kv.getValueCoder());
  }

  private void translateLiftedCombine(TransformHierarchy.Node node, Combine.PerKey<?, ?, ?> combine) {
    PCollection<?> input = mainInput(node);
    KvCoder<?, ?> kv = (KvCoder<?, ?>) input.getCoder();
    try {
      steps.add(
          new Step.CombinePerKey(
              node.getFullName(), id(input), combine.getFn(), kv.getKeyCoder(), accumulatorCoder(combine, kv),
              input.getWindowingStrategy(), outputs(node)));
    } catch (CannotProvideCoderException e) {
      throw new IllegalStateException("accumulator coder vanished for " + node.getFullName(), e);
    }
  }

  /**
   * Explains why a primitive that produces an unbounded PCollection (a primitive unbounded read) has no
   * translation. PCollections that are merely marked unbounded but come from finite roots run as
   * batch: their watermark reaches the end of time once all their elements are in, as it would
   * streaming.
   */
  private static void checkBounded(TransformHierarchy.Node node, String urn) {
    for (PCollection<?> out : node.getOutputs().values()) {
      if (out.isBounded() == PCollection.IsBounded.UNBOUNDED) {
        throw new UnsupportedTransformException(
            node.getFullName(), urn,
            "it produces an unbounded PCollection; DmergeRunner streams from TestStreams and splittable DoFns (Read.from(UnboundedSource) expands to one unless the use_deprecated_read experiment is set)");
      }
    }
  }

  private static KvCoder<?, ?> kvCoder(String name, String urn, PCollection<?> input) {
    if (!(input.getCoder() instanceof KvCoder)) {
      throw new UnsupportedTransformException(name, urn, "its input coder " + input.getCoder() + " is not a KvCoder");
    }
    return (KvCoder<?, ?>) input.getCoder();
  }

  private static void checkDeterministic(String name, String urn, Coder<?> keyCoder) {
    try {
      keyCoder.verifyDeterministic();
    } catch (Coder.NonDeterministicException e) {
      throw new UnsupportedTransformException(name, urn, "its key coder is not deterministic: " + e.getMessage());
    }
  }

  private static PCollection<?> mainInput(TransformHierarchy.Node node) {
    for (Map.Entry<TupleTag<?>, PCollection<?>> e : node.getInputs().entrySet()) {
      if (!node.getTransform().getAdditionalInputs().containsKey(e.getKey())) {
        return e.getValue();
      }
    }
    throw new IllegalStateException("transform " + node.getFullName() + " has no main input");
  }

  private Map<TupleTag<?>, Integer> outputs(TransformHierarchy.Node node) {
    Map<TupleTag<?>, Integer> out = new LinkedHashMap<>();
    node.getOutputs().forEach((tag, pc) -> out.put(tag, id(pc)));
    return out;
  }

  private int id(PCollection<?> pc) {
    return ids.computeIfAbsent(
        pc,
        k -> {
          int id = ids.size();
          pcollections.put(id, new PCollectionInfo(id, pc.getName(), pc.getCoder(), pc.getWindowingStrategy()));
          return id;
        });
  }
}
