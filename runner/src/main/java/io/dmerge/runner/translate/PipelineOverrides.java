package io.dmerge.runner.translate;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.BoundedReadFromUnboundedSource;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.PTransformMatcher;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.construction.DeduplicatedFlattenFactory;
import org.apache.beam.sdk.util.construction.EmptyFlattenAsCreateFactory;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * Rewrites a pipeline into primitives the runner executes: bounded reads back to primitive reads
 * (all reads with the {@code use_deprecated_read} experiment), bounded reads of unbounded sources
 * into reads of all their shards at once ({@link ConcurrentShardsRead}),
 * splittable DoFns into ordinary ParDos that process each restriction ({@link SplittableProcess}),
 * and Flatten corner cases into plain flattens.
 */
public final class PipelineOverrides {
  private PipelineOverrides() {}

  public static void apply(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    if (ExperimentalOptions.hasExperiment(options, "use_deprecated_read")
        || ExperimentalOptions.hasExperiment(options, "beam_fn_api_use_deprecated_read")) {
      SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    } else if (!ExperimentalOptions.hasExperiment(options, "use_sdf_read")) {
      // Bounded reads as primitives, which the scheduler splits; unbounded ones stay splittable
      // DoFns (Beam's wrapper of the source), which stream.
      pipeline.replaceAll(List.of(SplittableParDo.PRIMITIVE_BOUNDED_READ_OVERRIDE));
    }
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(
                PTransformMatchers.classEqualTo(BoundedReadFromUnboundedSource.class),
                new ConcurrentShardsRead.OverrideFactory<>()),
            PTransformOverride.of(PTransformMatchers.emptyFlatten(), EmptyFlattenAsCreateFactory.instance()),
            PTransformOverride.of(
                PTransformMatchers.flattenWithDuplicateInputs(), DeduplicatedFlattenFactory.create()),
            PTransformOverride.of(splittableParDo(), new SplittableParDo.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedBounded(), new SplittableProcess.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedUnbounded(), new SplittableProcess.OverrideFactory<>())));
  }

  /**
   * What {@link PTransformMatchers#splittableParDo()} matches, decided from the DoFn's signature:
   * Beam's matcher translates every ParDo to a proto to find out, serializing its DoFn each time.
   */
  private static PTransformMatcher splittableParDo() {
    return application ->
        application.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo
            && DoFnSignatures.getSignature(parDo.getFn().getClass()).processElement().isSplittable();
  }
}
