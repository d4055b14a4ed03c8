package io.dmerge.runner.translate;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.util.construction.DeduplicatedFlattenFactory;
import org.apache.beam.sdk.util.construction.EmptyFlattenAsCreateFactory;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;

/**
 * Rewrites a pipeline into primitives the runner executes: bounded reads back to primitive reads,
 * splittable DoFns into ordinary ParDos that process each restriction (bounded SDF, {@link
 * BoundedSplittableProcess}), and Flatten corner cases into plain flattens.
 */
public final class PipelineOverrides {
  private PipelineOverrides() {}

  public static void apply(Pipeline pipeline) {
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReadsIfNecessary(pipeline);
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(PTransformMatchers.emptyFlatten(), EmptyFlattenAsCreateFactory.instance()),
            PTransformOverride.of(
                PTransformMatchers.flattenWithDuplicateInputs(), DeduplicatedFlattenFactory.create()),
            PTransformOverride.of(PTransformMatchers.splittableParDo(), new SplittableParDo.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedBounded(),
                new BoundedSplittableProcess.OverrideFactory<>())));
  }
}
