package io.dmerge.examples.ml;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Metrics, model ranking, the voting ensemble and the report (plain functions). */
public final class Evaluation {
  private Evaluation() {}

  public static double accuracy(int[] truth, int[] pred) {
    int ok = 0;
    for (int i = 0; i < truth.length; i++) {
      if (truth[i] == pred[i]) {
        ok++;
      }
    }
    return truth.length == 0 ? 0 : ok / (double) truth.length;
  }

  static int classes(int[] truth, int[] pred) {
    int k = 0;
    for (int v : truth) {
      k = Math.max(k, v + 1);
    }
    for (int v : pred) {
      k = Math.max(k, v + 1);
    }
    return k;
  }

  /** confusion[truth][pred]. */
  public static int[][] confusion(int[] truth, int[] pred) {
    int k = classes(truth, pred);
    int[][] c = new int[k][k];
    for (int i = 0; i < truth.length; i++) {
      c[truth[i]][pred[i]]++;
    }
    return c;
  }

  /** Unweighted mean over classes of F1 (classes absent from both truth and prediction skipped). */
  public static double macroF1(int[] truth, int[] pred) {
    int[][] c = confusion(truth, pred);
    double sum = 0;
    int n = 0;
    for (int k = 0; k < c.length; k++) {
      int tp = c[k][k];
      int actual = 0;
      int predicted = 0;
      for (int j = 0; j < c.length; j++) {
        actual += c[k][j];
        predicted += c[j][k];
      }
      if (actual + predicted == 0) {
        continue;
      }
      sum += 2.0 * tp / (actual + predicted);
      n++;
    }
    return n == 0 ? 0 : sum / n;
  }

  /**
   * Majority vote of {@code voters} (best first). A tie between classes goes to the class voted by
   * the best-ranked voter among the tied classes.
   */
  public static int[] vote(List<int[]> voters) {
    int n = voters.get(0).length;
    int classes = 1;
    for (int[] v : voters) {
      for (int c : v) {
        classes = Math.max(classes, c + 1);
      }
    }
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int[] votes = new int[classes];
      int max = 0;
      for (int[] v : voters) {
        max = Math.max(max, ++votes[v[i]]);
      }
      for (int[] v : voters) { // best-ranked voter first
        if (votes[v[i]] == max) {
          out[i] = v[i];
          break;
        }
      }
    }
    return out;
  }

  /** Models sorted best first: validation accuracy desc, then spec asc. */
  public static List<ModelResult> rank(List<ModelResult> results, int[] validationTruth) {
    List<ModelResult> ranked = new ArrayList<>(results);
    ranked.sort(
        Comparator.comparingDouble(
                (ModelResult r) -> -accuracy(validationTruth, r.validationPredictions))
            .thenComparing(r -> r.spec));
    return ranked;
  }

  static String f4(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** The metrics report. Deterministic: no timings. */
  public static List<String> report(
      List<ModelResult> results, Dataset data, PcaSummary pca, int ensembleSize) {
    int[] yv = data.y[Sample.VALIDATION];
    int[] yt = data.y[Sample.TEST];
    List<ModelResult> ranked = rank(results, yv);
    List<String> out = new ArrayList<>();
    out.add(
        String.format(
            Locale.ROOT,
            "data: %d samples x %d features -> PCA %d components (%.2f%% of variance);"
                + " train=%d validation=%d test=%d",
            data.size(0) + data.size(1) + data.size(2),
            pca.inputFeatures,
            pca.components,
            100 * pca.explainedVariance,
            data.size(Sample.TRAIN),
            data.size(Sample.VALIDATION),
            data.size(Sample.TEST)));
    int rank = 1;
    for (ModelResult r : ranked) {
      out.add(
          String.format(
              "model %d %s: validation_accuracy=%s test_accuracy=%s test_macro_f1=%s",
              rank++,
              r.spec,
              f4(accuracy(yv, r.validationPredictions)),
              f4(accuracy(yt, r.testPredictions)),
              f4(macroF1(yt, r.testPredictions))));
    }
    int k = Math.min(ensembleSize, ranked.size());
    List<ModelResult> voters = ranked.subList(0, k);
    int[] ev = vote(voters.stream().map(r -> r.validationPredictions).toList());
    int[] et = vote(voters.stream().map(r -> r.testPredictions).toList());
    String ensembleName =
        "vote(" + String.join("+", voters.stream().map(r -> r.spec).toList()) + ")";
    out.add(
        String.format(
            "ensemble %s: validation_accuracy=%s test_accuracy=%s test_macro_f1=%s",
            ensembleName, f4(accuracy(yv, ev)), f4(accuracy(yt, et)), f4(macroF1(yt, et))));
    ModelResult best = ranked.get(0);
    boolean useEnsemble = k > 1 && accuracy(yv, ev) > accuracy(yv, best.validationPredictions);
    String chosen = useEnsemble ? ensembleName : best.spec;
    int[] chosenTest = useEnsemble ? et : best.testPredictions;
    out.add(
        String.format(
            "selected %s (best validation accuracy): test_accuracy=%s test_macro_f1=%s",
            chosen, f4(accuracy(yt, chosenTest)), f4(macroF1(yt, chosenTest))));
    int[][] c = confusion(yt, chosenTest);
    out.add("selected test confusion (rows = true digit, columns = predicted):");
    for (int i = 0; i < c.length; i++) {
      StringBuilder sb = new StringBuilder("  " + i + ":");
      for (int v : c[i]) {
        sb.append(String.format("%4d", v));
      }
      out.add(sb.toString());
    }
    return out;
  }

  /** What the report says about the PCA step. */
  public static final class PcaSummary implements java.io.Serializable {
    public final int inputFeatures;
    public final int components;
    public final double explainedVariance;

    public PcaSummary(int inputFeatures, int components, double explainedVariance) {
      this.inputFeatures = inputFeatures;
      this.components = components;
      this.explainedVariance = explainedVariance;
    }
  }
}
