package io.dmerge.examples.ml;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/** What a trainer hands to the combine step: its predictions on the held-out splits. */
@DefaultCoder(SerializableCoder.class)
public final class ModelResult implements Serializable {
  public final String spec;
  public final int[] validationPredictions;
  public final int[] testPredictions;
  public final long trainMillis;

  public ModelResult(String spec, int[] validationPredictions, int[] testPredictions, long trainMillis) {
    this.spec = spec;
    this.validationPredictions = validationPredictions;
    this.testPredictions = testPredictions;
    this.trainMillis = trainMillis;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelResult)) {
      return false;
    }
    ModelResult r = (ModelResult) o;
    return spec.equals(r.spec)
        && Arrays.equals(validationPredictions, r.validationPredictions)
        && Arrays.equals(testPredictions, r.testPredictions)
        && trainMillis == r.trainMillis;
  }

  @Override
  public int hashCode() {
    return spec.hashCode();
  }
}
