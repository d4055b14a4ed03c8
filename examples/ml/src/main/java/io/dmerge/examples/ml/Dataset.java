package io.dmerge.examples.ml;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/** The projected data set, split, with rows in index order (so every consumer sees the same). */
@DefaultCoder(SerializableCoder.class)
public final class Dataset implements Serializable {
  public final double[][][] x = new double[3][][];
  public final int[][] y = new int[3][];

  public Dataset(List<Sample> samples) {
    List<Sample> sorted = new ArrayList<>(samples);
    sorted.sort(Comparator.comparingInt(s -> s.index));
    for (int split = 0; split < 3; split++) {
      final int sp = split;
      x[split] = sorted.stream().filter(s -> s.split == sp).map(s -> s.x).toArray(double[][]::new);
      y[split] = sorted.stream().filter(s -> s.split == sp).mapToInt(s -> s.label).toArray();
    }
  }

  public int size(int split) {
    return y[split].length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Dataset
        && Arrays.deepEquals(x, ((Dataset) o).x)
        && Arrays.deepEquals(y, ((Dataset) o).y);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(y);
  }
}
