package io.dmerge.examples.ml;

import io.dmerge.examples.testing.ExampleRunners;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import smile.base.cart.SplitRule;
import smile.classification.KNN;
import smile.classification.LDA;
import smile.classification.LogisticRegression;
import smile.classification.RandomForest;
import smile.data.DataFrame;
import smile.data.Tuple;
import smile.data.formula.Formula;
import smile.data.vector.IntVector;
import smile.feature.extraction.PCA;

class MlTrainingTest {
  static final long SEED = 5;
  static final int ROWS = 700;
  static final int K = 10;
  static final String MODELS = "lda,knn:k=1,knn:k=3,logit:lambda=0.5,rf:trees=15";

  @TempDir Path tmp;

  static Stream<Arguments> runners() {
    return ExampleRunners.selected();
  }

  // ---------------------------------------------------------------------------------------------
  // Independent reference in plain Java + Smile, without the pipeline's classes.
  // ---------------------------------------------------------------------------------------------

  static int split(long seed, int index) {
    long z = seed * 0x9E3779B97F4A7C15L + index;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    z ^= z >>> 31;
    double u = (z >>> 11) / (double) (1L << 53);
    return u < 0.6 ? 0 : u < 0.8 ? 1 : 2;
  }

  static String f4(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  static double acc(int[] t, int[] p) {
    int ok = 0;
    for (int i = 0; i < t.length; i++) {
      ok += t[i] == p[i] ? 1 : 0;
    }
    return ok / (double) t.length;
  }

  static double macroF1(int[] t, int[] p) {
    double sum = 0;
    int n = 0;
    for (int c = 0; c < 10; c++) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int i = 0; i < t.length; i++) {
        if (t[i] == c && p[i] == c) {
          tp++;
        } else if (p[i] == c) {
          fp++;
        } else if (t[i] == c) {
          fn++;
        }
      }
      if (tp + fp + fn > 0) {
        sum += 2.0 * tp / (2 * tp + fp + fn);
        n++;
      }
    }
    return sum / n;
  }

  static List<String> referenceReport(List<String> lines) {
    List<List<double[]>> xs = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<Integer>> ys = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      double[] x = new double[64];
      for (int j = 0; j < 64; j++) {
        x[j] = Double.parseDouble(f[j]);
      }
      int s = split(SEED, i);
      xs.get(s).add(x);
      ys.get(s).add((int) Double.parseDouble(f[64]));
    }
    double[][] trainRaw = xs.get(0).toArray(new double[0][]);
    PCA full = PCA.fit(trainRaw);
    PCA pca = full.getProjection(K);
    double[][] axes = pca.projection.toArray();
    double[] mean = pca.center();
    double[][][] x = new double[3][][];
    int[][] y = new int[3][];
    for (int s = 0; s < 3; s++) {
      x[s] = xs.get(s).stream().map(r -> {
        double[] out = new double[K];
        for (int c = 0; c < K; c++) {
          double acc = 0;
          for (int j = 0; j < 64; j++) {
            acc += axes[c][j] * (r[j] - mean[j]);
          }
          out[c] = acc;
        }
        return out;
      }).toArray(double[][]::new);
      y[s] = ys.get(s).stream().mapToInt(Integer::intValue).toArray();
    }

    // The models, trained directly with Smile.
    Map<String, int[][]> preds = new LinkedHashMap<>(); // spec -> {validation, test}
    LDA lda = LDA.fit(x[0], y[0]);
    preds.put("lda", new int[][] {lda.predict(x[1]), lda.predict(x[2])});
    for (int k : new int[] {1, 3}) {
      KNN<double[]> knn = KNN.fit(x[0], y[0], k);
      preds.put("knn:k=" + k, new int[][] {knn.predict(x[1]), knn.predict(x[2])});
    }
    LogisticRegression lr = LogisticRegression.fit(x[0], y[0], 0.5, 1e-5, 500);
    preds.put("logit:lambda=0.5", new int[][] {lr.predict(x[1]), lr.predict(x[2])});
    String[] names = new String[K];
    for (int c = 0; c < K; c++) {
      names[c] = "pc" + c;
    }
    DataFrame df = DataFrame.of(x[0], names).merge(IntVector.of("y", y[0]));
    RandomForest rf = RandomForest.fit(Formula.lhs("y"), df, 15, (int) Math.sqrt(K),
        SplitRule.GINI, 20, 500, 1, 1.0, null,
        LongStream.range(0, 15).map(t -> SEED * 1_000_003L + t));
    int[][] rfp = new int[2][];
    for (int s = 1; s <= 2; s++) {
      final int sp = s;
      rfp[s - 1] = java.util.Arrays.stream(x[s])
          .mapToInt(r -> rf.predict(Tuple.of(r, df.drop("y").schema()))).toArray();
    }
    preds.put("rf:trees=15", rfp);

    // Rank, report, vote, select.
    List<String> specs = new ArrayList<>(preds.keySet());
    specs.sort((a, b) -> {
      int c = Double.compare(acc(y[1], preds.get(b)[0]), acc(y[1], preds.get(a)[0]));
      return c != 0 ? c : a.compareTo(b);
    });
    List<String> out = new ArrayList<>();
    out.add(String.format(Locale.ROOT,
        "data: %d samples x 64 features -> PCA %d components (%.2f%% of variance);"
            + " train=%d validation=%d test=%d",
        lines.size(), K, 100 * full.cumulativeVarianceProportion()[K - 1], y[0].length,
        y[1].length, y[2].length));
    for (int r = 0; r < specs.size(); r++) {
      int[][] p = preds.get(specs.get(r));
      out.add("model " + (r + 1) + " " + specs.get(r) + ": validation_accuracy="
          + f4(acc(y[1], p[0])) + " test_accuracy=" + f4(acc(y[2], p[1])) + " test_macro_f1="
          + f4(macroF1(y[2], p[1])));
    }
    int[][] ens = new int[2][];
    for (int s = 0; s < 2; s++) {
      ens[s] = new int[y[s + 1].length];
      for (int i = 0; i < ens[s].length; i++) {
        int[] votes = new int[10];
        for (int v = 0; v < 3; v++) {
          votes[preds.get(specs.get(v))[s][i]]++;
        }
        int best = preds.get(specs.get(0))[s][i];
        for (int v = 0; v < 3; v++) {
          int c = preds.get(specs.get(v))[s][i];
          if (votes[c] > votes[best]) {
            best = c;
          }
        }
        ens[s][i] = best;
      }
    }
    String ensName = "vote(" + specs.get(0) + "+" + specs.get(1) + "+" + specs.get(2) + ")";
    out.add("ensemble " + ensName + ": validation_accuracy=" + f4(acc(y[1], ens[0]))
        + " test_accuracy=" + f4(acc(y[2], ens[1])) + " test_macro_f1=" + f4(macroF1(y[2], ens[1])));
    boolean useEns = acc(y[1], ens[0]) > acc(y[1], preds.get(specs.get(0))[0]);
    int[] chosen = useEns ? ens[1] : preds.get(specs.get(0))[1];
    out.add("selected " + (useEns ? ensName : specs.get(0))
        + " (best validation accuracy): test_accuracy=" + f4(acc(y[2], chosen))
        + " test_macro_f1=" + f4(macroF1(y[2], chosen)));
    out.add("selected test confusion (rows = true digit, columns = predicted):");
    int[][] conf = new int[10][10];
    for (int i = 0; i < chosen.length; i++) {
      conf[y[2][i]][chosen[i]]++;
    }
    for (int d = 0; d < 10; d++) {
      StringBuilder sb = new StringBuilder("  " + d + ":");
      for (int v : conf[d]) {
        sb.append(String.format("%4d", v));
      }
      out.add(sb.toString());
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runners")
  void metricsMatchPlainJavaTraining(String name, String[] runnerArgs) throws IOException {
    List<String> lines = MlTraining.readLines("").subList(0, ROWS);
    Path in = tmp.resolve("digits-subset.csv");
    Files.write(in, lines, StandardCharsets.UTF_8);
    Path out = tmp.resolve("metrics.txt");
    MlTrainingOptions o = PipelineOptionsFactory.fromArgs(ExampleRunners.args(runnerArgs,
            "--input=" + in, "--output=" + out, "--seed=" + SEED, "--components=" + K,
            "--models=" + MODELS, "--ensembleSize=3"))
        .withValidation()
        .as(MlTrainingOptions.class);
    assertEquals(PipelineResult.State.DONE, MlTraining.run(o));
    List<String> report = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertEquals(referenceReport(lines), report);
    assertTrue(report.get(1).contains("validation_accuracy=0.9"), report.get(1));
  }

  @Test
  void embeddedDigitsAreTheUciSet() throws IOException {
    List<String> lines = MlTraining.readLines("");
    assertEquals(1797, lines.size());
    int[] perClass = new int[10];
    for (String l : lines) {
      String[] f = l.split(",");
      assertEquals(65, f.length);
      perClass[(int) Double.parseDouble(f[64])]++;
    }
    assertArrayEquals(new int[] {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, perClass);
  }

  @Test
  void pcaModelAgreesWithSmile() throws IOException {
    double[][] x = MlTraining.readLines("").stream().limit(300)
        .map(l -> Sample.parse(0, l, 0).x).toArray(double[][]::new);
    PcaModel m = PcaModel.fit(x, 8);
    PCA smile = PCA.fit(x).getProjection(8);
    for (double[] row : x) {
      assertArrayEquals(smile.apply(row), m.apply(row), 1e-9);
    }
  }

  @Test
  void voteBreaksTiesByRank() {
    int[] a = {1, 2, 3};
    int[] b = {4, 2, 5};
    int[] c = {4, 6, 7};
    assertArrayEquals(new int[] {4, 2, 3}, Evaluation.vote(List.of(a, b, c)));
  }
}
