package io.dmerge.examples.ml;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import smile.feature.extraction.PCA;

/**
 * A fitted PCA projection in plain arrays: {@code y = P (x - mean)}. Fitted with Smile's {@link
 * PCA} (covariance, SVD), applied in plain Java so workers need no native code for it.
 */
@DefaultCoder(SerializableCoder.class)
public final class PcaModel implements Serializable {
  public final double[] mean;
  /** k x p: one principal axis per row. */
  public final double[][] projection;
  /** Share of the total variance explained by the kept components. */
  public final double explainedVariance;

  public PcaModel(double[] mean, double[][] projection, double explainedVariance) {
    this.mean = mean;
    this.projection = projection;
    this.explainedVariance = explainedVariance;
  }

  /** Fits on the rows of {@code x} (in the given order) and keeps {@code k} components. */
  public static PcaModel fit(double[][] x, int k) {
    PCA full = PCA.fit(x);
    PCA pca = full.getProjection(k);
    return new PcaModel(
        pca.center().clone(),
        pca.projection.toArray(),
        full.cumulativeVarianceProportion()[k - 1]);
  }

  public double[] apply(double[] x) {
    double[] y = new double[projection.length];
    for (int i = 0; i < projection.length; i++) {
      double s = 0;
      double[] row = projection[i];
      for (int j = 0; j < row.length; j++) {
        s += row[j] * (x[j] - mean[j]);
      }
      y[i] = s;
    }
    return y;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PcaModel
        && Arrays.equals(mean, ((PcaModel) o).mean)
        && Arrays.deepEquals(projection, ((PcaModel) o).projection);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(mean);
  }
}
