package io.dmerge.examples.ml;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.DefaultCoder;

/** One labelled sample: its row index in the data set, split, label and features. */
@DefaultCoder(Sample.SampleCoder.class)
public final class Sample implements Serializable {
  public static final int TRAIN = 0;
  public static final int VALIDATION = 1;
  public static final int TEST = 2;

  public final int index;
  public final int split;
  public final int label;
  public final double[] x;

  public Sample(int index, int split, int label, double[] x) {
    this.index = index;
    this.split = split;
    this.label = label;
    this.x = x;
  }

  /** Parses {@code f0,...,f63,label} (the label may be written as a float). */
  public static Sample parse(int index, String line, int split) {
    String[] f = line.trim().split(",");
    double[] x = new double[f.length - 1];
    for (int j = 0; j < x.length; j++) {
      x[j] = Double.parseDouble(f[j]);
    }
    return new Sample(index, split, (int) Double.parseDouble(f[f.length - 1]), x);
  }

  /**
   * Deterministic split of row {@code index}: a hash of (seed, index) mapped to [0,1); below
   * {@code 1 - validation - test} is train, then validation, then test.
   */
  public static int splitOf(long seed, int index, double validation, double test) {
    long z = seed * 0x9E3779B97F4A7C15L + index;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    z = z ^ (z >>> 31);
    double u = (z >>> 11) * 0x1.0p-53;
    if (u < 1 - validation - test) {
      return TRAIN;
    }
    return u < 1 - test ? VALIDATION : TEST;
  }

  public Sample withFeatures(double[] features) {
    return new Sample(index, split, label, features);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Sample)) {
      return false;
    }
    Sample s = (Sample) o;
    return index == s.index && split == s.split && label == s.label && Arrays.equals(x, s.x);
  }

  @Override
  public int hashCode() {
    return index * 31 + label;
  }

  /** Compact deterministic coder (doubles as raw IEEE-754 bits). */
  public static final class SampleCoder extends org.apache.beam.sdk.coders.AtomicCoder<Sample> {
    private static final SampleCoder INSTANCE = new SampleCoder();

    public static SampleCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Sample s, java.io.OutputStream os) throws java.io.IOException {
      java.io.DataOutputStream out = new java.io.DataOutputStream(os);
      out.writeInt(s.index);
      out.writeByte(s.split);
      out.writeInt(s.label);
      out.writeInt(s.x.length);
      for (double v : s.x) {
        out.writeDouble(v);
      }
      out.flush();
    }

    @Override
    public Sample decode(java.io.InputStream is) throws java.io.IOException {
      java.io.DataInputStream in = new java.io.DataInputStream(is);
      int index = in.readInt();
      int split = in.readByte();
      int label = in.readInt();
      double[] x = new double[in.readInt()];
      for (int j = 0; j < x.length; j++) {
        x[j] = in.readDouble();
      }
      return new Sample(index, split, label, x);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
