package io.dmerge.runner.translate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One restriction of an element for a splittable DoFn to process: fresh from the DoFn's initial
 * split, or the residual of an earlier call ({@code resumed}), which carries the watermark
 * estimator's state, the watermark it holds its output at, and when the DoFn asked to be resumed.
 */
public record SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>(
    InputT element,
    RestrictionT restriction,
    boolean resumed,
    @Nullable WatermarkEstimatorStateT watermarkState,
    Instant watermarkHold,
    Instant resumeAt) {

  static <InputT, RestrictionT, WatermarkEstimatorStateT> SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT> fresh(
      InputT element, RestrictionT restriction) {
    return new SplittableWork<>(
        element, restriction, false, null, BoundedWindow.TIMESTAMP_MIN_VALUE, BoundedWindow.TIMESTAMP_MIN_VALUE);
  }

  /** Encodes the element, restriction and watermark state with the DoFn's coders. */
  public static final class WorkCoder<InputT, RestrictionT, WatermarkEstimatorStateT>
      extends StructuredCoder<SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT>> {
    private final Coder<InputT> elementCoder;
    private final Coder<RestrictionT> restrictionCoder;
    private final Coder<WatermarkEstimatorStateT> stateCoder;

    public WorkCoder(Coder<InputT> elementCoder, Coder<RestrictionT> restrictionCoder, Coder<WatermarkEstimatorStateT> stateCoder) {
      this.elementCoder = elementCoder;
      this.restrictionCoder = restrictionCoder;
      this.stateCoder = NullableCoder.of(stateCoder);
    }

    @Override
    public void encode(SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT> work, OutputStream out) throws IOException {
      elementCoder.encode(work.element(), out);
      restrictionCoder.encode(work.restriction(), out);
      BooleanCoder.of().encode(work.resumed(), out);
      stateCoder.encode(work.watermarkState(), out);
      InstantCoder.of().encode(work.watermarkHold(), out);
      InstantCoder.of().encode(work.resumeAt(), out);
    }

    @Override
    public SplittableWork<InputT, RestrictionT, WatermarkEstimatorStateT> decode(InputStream in) throws IOException {
      return new SplittableWork<>(
          elementCoder.decode(in),
          restrictionCoder.decode(in),
          BooleanCoder.of().decode(in),
          stateCoder.decode(in),
          InstantCoder.of().decode(in),
          InstantCoder.of().decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(elementCoder, restrictionCoder, stateCoder);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "the element, restriction and state coders must be deterministic", elementCoder, restrictionCoder, stateCoder);
    }
  }
}
