package io.dmerge.examples.ml;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.LongStream;
import smile.base.cart.SplitRule;
import smile.classification.Classifier;
import smile.classification.DataFrameClassifier;
import smile.classification.GradientTreeBoost;
import smile.classification.KNN;
import smile.classification.LDA;
import smile.classification.LogisticRegression;
import smile.classification.RandomForest;
import smile.data.DataFrame;
import smile.data.Tuple;
import smile.data.formula.Formula;
import smile.data.vector.IntVector;
import smile.math.MathEx;

/**
 * The model catalog. A model spec is {@code type[:key=value]...}, e.g. {@code rf:trees=200:mtry=4}:
 *
 * <ul>
 *   <li>{@code logit[:lambda=0.1]} multinomial logistic regression (L-BFGS, L2 penalty)
 *   <li>{@code lda} linear discriminant analysis
 *   <li>{@code knn[:k=5]} k-nearest neighbours (Euclidean)
 *   <li>{@code rf[:trees=100][:mtry=sqrt(p)][:nodeSize=1]} random forest (Gini), per-tree seeds
 *       derived from the pipeline seed
 *   <li>{@code gbt[:trees=100][:maxNodes=6][:shrinkage=0.1][:subsample=0.7]} gradient tree boosting
 * </ul>
 *
 * <p>Every trainer is deterministic for a given (spec, seed, training data): the random forest gets
 * an explicit seed per tree (its trees are grown in parallel, but each from its own seed), and
 * gradient boosting draws its subsamples from Smile's thread-local generator, which is seeded
 * immediately before fitting on the calling thread.
 */
public final class Trainers {
  private Trainers() {}

  /** Predicts classes for feature rows. */
  public interface Model {
    int predict(double[] x);
  }

  /** Parses {@code type:k=v:k=v}. */
  public static Map<String, String> params(String spec) {
    String[] parts = spec.trim().split(":");
    Map<String, String> p = new LinkedHashMap<>();
    p.put("type", parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String[] kv = parts[i].split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("bad model parameter '" + parts[i] + "' in " + spec);
      }
      p.put(kv[0], kv[1]);
    }
    return p;
  }

  private static double d(Map<String, String> p, String k, double def) {
    return p.containsKey(k) ? Double.parseDouble(p.get(k)) : def;
  }

  private static int i(Map<String, String> p, String k, int def) {
    return p.containsKey(k) ? Integer.parseInt(p.get(k)) : def;
  }

  static String[] featureNames(int p) {
    String[] names = new String[p];
    for (int j = 0; j < p; j++) {
      names[j] = "pc" + j;
    }
    return names;
  }

  static DataFrame frame(double[][] x, int[] y) {
    return DataFrame.of(x, featureNames(x[0].length)).merge(IntVector.of("y", y));
  }

  static Model ofTuples(DataFrameClassifier c, int p) {
    smile.data.type.StructType schema = DataFrame.of(new double[][] {new double[p]}, featureNames(p)).schema();
    return x -> c.predict(Tuple.of(x, schema));
  }

  static Model ofArrays(Classifier<double[]> c) {
    return c::predict;
  }

  /** Trains the model described by {@code spec} on (x, y). */
  public static Model train(String spec, double[][] x, int[] y, long seed) {
    Map<String, String> p = params(spec);
    int dims = x[0].length;
    switch (p.get("type")) {
      case "logit":
        return ofArrays(LogisticRegression.fit(x, y, d(p, "lambda", 0.1), 1e-5, 500));
      case "lda":
        return ofArrays(LDA.fit(x, y));
      case "knn":
        return ofArrays(KNN.fit(x, y, i(p, "k", 5)));
      case "rf":
        {
          int trees = i(p, "trees", 100);
          int mtry = i(p, "mtry", Math.max(1, (int) Math.floor(Math.sqrt(dims))));
          long[] seeds = new long[trees];
          for (int t = 0; t < trees; t++) {
            seeds[t] = seed * 1_000_003L + t;
          }
          RandomForest rf =
              RandomForest.fit(
                  Formula.lhs("y"),
                  frame(x, y),
                  trees,
                  mtry,
                  SplitRule.GINI,
                  i(p, "maxDepth", 20),
                  i(p, "maxNodes", 500),
                  i(p, "nodeSize", 1),
                  d(p, "subsample", 1.0),
                  null,
                  LongStream.of(seeds));
          return ofTuples(rf, dims);
        }
      case "gbt":
        {
          MathEx.setSeed(seed);
          GradientTreeBoost gbt =
              GradientTreeBoost.fit(
                  Formula.lhs("y"),
                  frame(x, y),
                  i(p, "trees", 100),
                  i(p, "maxDepth", 20),
                  i(p, "maxNodes", 6),
                  i(p, "nodeSize", 5),
                  d(p, "shrinkage", 0.1),
                  d(p, "subsample", 0.7));
          return ofTuples(gbt, dims);
        }
      default:
        throw new IllegalArgumentException(
            "unknown model type '" + p.get("type") + "' in " + spec
                + " (known: logit, lda, knn, rf, gbt)");
    }
  }

  /** Predictions of {@code m} for each row of {@code x}. */
  public static int[] predict(Model m, double[][] x) {
    return Arrays.stream(x).mapToInt(m::predict).toArray();
  }
}
