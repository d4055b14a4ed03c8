package io.dmerge.examples.ml;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The ML training workflow.
 *
 * <pre>
 * digits rows --Parse+split--> samples --(train rows)--> gather --FitPCA--> PcaModel (side input)
 *   samples --Project(PCA side input)--> projected --gather--> Dataset (side input)
 *   model specs --Reshuffle--> Train x K (parallel, Dataset side input) --> predictions
 *   predictions --GroupByKey(all)--> Evaluate: rank by validation accuracy, vote ensemble,
 *                                    select, test metrics --> metrics report
 * </pre>
 *
 * <p>Trainers predict on the validation and test splits and hand on only their predictions (no
 * model objects cross a shuffle). The report is deterministic for a given seed: rows are sorted by
 * index before every fit, and the randomized trainers are seeded (see {@link Trainers}).
 */
public final class MlTraining {
  public static final String DEFAULT_INPUT_RESOURCE = "/ml/digits.csv.gz";

  private MlTraining() {}

  /** Reads the data set lines: the embedded resource or a local (optionally gzipped) file. */
  public static List<String> readLines(String input) throws IOException {
    InputStream raw =
        input.isEmpty()
            ? MlTraining.class.getResourceAsStream(DEFAULT_INPUT_RESOURCE)
            : Files.newInputStream(Paths.get(input));
    if (raw == null) {
      throw new IOException("missing resource " + DEFAULT_INPUT_RESOURCE);
    }
    boolean gz = input.isEmpty() || input.endsWith(".gz");
    List<String> lines = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(gz ? new GZIPInputStream(raw) : raw, StandardCharsets.UTF_8))) {
      String l;
      while ((l = r.readLine()) != null) {
        if (!l.isBlank()) {
          lines.add(l);
        }
      }
    }
    return lines;
  }

  static class ParseFn extends DoFn<KV<Integer, String>, Sample> {
    private final long seed;
    private final double validation;
    private final double test;

    ParseFn(long seed, double validation, double test) {
      this.seed = seed;
      this.validation = validation;
      this.test = test;
    }

    @ProcessElement
    public void process(@Element KV<Integer, String> row, OutputReceiver<Sample> out) {
      int i = row.getKey();
      out.output(Sample.parse(i, row.getValue(), Sample.splitOf(seed, i, validation, test)));
    }
  }

  /** Coder of a list of samples. */
  static final org.apache.beam.sdk.coders.Coder<ArrayList<Sample>> ARRAY_LIST_CODER =
      org.apache.beam.sdk.coders.DelegateCoder.of(
          org.apache.beam.sdk.coders.ListCoder.of(Sample.SampleCoder.of()),
          (ArrayList<Sample> l) -> l,
          (List<Sample> l) -> new ArrayList<>(l));

  /** Gathers samples into a list sorted by index (order-independent, so deterministic). */
  static class ToSortedList extends Combine.CombineFn<Sample, ArrayList<Sample>, ArrayList<Sample>> {
    @Override
    public ArrayList<Sample> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public ArrayList<Sample> addInput(ArrayList<Sample> acc, Sample s) {
      acc.add(s);
      return acc;
    }

    @Override
    public ArrayList<Sample> mergeAccumulators(Iterable<ArrayList<Sample>> accs) {
      ArrayList<Sample> out = new ArrayList<>();
      accs.forEach(out::addAll);
      return out;
    }

    @Override
    public ArrayList<Sample> extractOutput(ArrayList<Sample> acc) {
      ArrayList<Sample> out = new ArrayList<>(acc);
      out.sort(Comparator.comparingInt(s -> s.index));
      return out;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<ArrayList<Sample>> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry r, org.apache.beam.sdk.coders.Coder<Sample> c) {
      return ARRAY_LIST_CODER;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<ArrayList<Sample>> getDefaultOutputCoder(
        org.apache.beam.sdk.coders.CoderRegistry r, org.apache.beam.sdk.coders.Coder<Sample> c) {
      return getAccumulatorCoder(r, c);
    }
  }

  static class FitPcaFn extends DoFn<ArrayList<Sample>, PcaModel> {
    private final int components;

    FitPcaFn(int components) {
      this.components = components;
    }

    @ProcessElement
    public void process(@Element ArrayList<Sample> train, OutputReceiver<PcaModel> out) {
      double[][] x = train.stream().map(s -> s.x).toArray(double[][]::new);
      out.output(PcaModel.fit(x, components));
    }
  }

  static class ProjectFn extends DoFn<Sample, Sample> {
    private final PCollectionView<PcaModel> pca;

    ProjectFn(PCollectionView<PcaModel> pca) {
      this.pca = pca;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element().withFeatures(c.sideInput(pca).apply(c.element().x)));
    }
  }

  static class ToDatasetFn extends DoFn<ArrayList<Sample>, Dataset> {
    @ProcessElement
    public void process(@Element ArrayList<Sample> all, OutputReceiver<Dataset> out) {
      out.output(new Dataset(all));
    }
  }

  static class TrainFn extends DoFn<String, ModelResult> {
    private final PCollectionView<Dataset> data;
    private final long seed;

    TrainFn(PCollectionView<Dataset> data, long seed) {
      this.data = data;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Dataset d = c.sideInput(data);
      long start = System.nanoTime();
      Trainers.Model m =
          Trainers.train(c.element(), d.x[Sample.TRAIN], d.y[Sample.TRAIN], seed);
      long millis = (System.nanoTime() - start) / 1_000_000;
      c.output(
          new ModelResult(
              c.element(),
              Trainers.predict(m, d.x[Sample.VALIDATION]),
              Trainers.predict(m, d.x[Sample.TEST]),
              millis));
    }
  }

  static class EvaluateFn extends DoFn<KV<String, Iterable<ModelResult>>, String> {
    private final PCollectionView<Dataset> data;
    private final PCollectionView<PcaModel> pca;
    private final int ensembleSize;

    EvaluateFn(PCollectionView<Dataset> data, PCollectionView<PcaModel> pca, int ensembleSize) {
      this.data = data;
      this.pca = pca;
      this.ensembleSize = ensembleSize;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      List<ModelResult> results = new ArrayList<>();
      c.element().getValue().forEach(results::add);
      PcaModel p = c.sideInput(pca);
      Evaluation.PcaSummary summary =
          new Evaluation.PcaSummary(p.mean.length, p.projection.length, p.explainedVariance);
      Evaluation.report(results, c.sideInput(data), summary, ensembleSize).forEach(c::output);
    }
  }

  /** Builds the pipeline over the given data set lines. */
  public static Pipeline buildPipeline(MlTrainingOptions o, List<String> lines) {
    Pipeline p = Pipeline.create(o);
    List<KV<Integer, String>> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      rows.add(KV.of(i, lines.get(i)));
    }
    PCollection<Sample> samples =
        p.apply("Rows", Create.of(rows).withCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of())))
            .apply(
                "ParseAndSplit",
                ParDo.of(new ParseFn(o.getSeed(), o.getValidationFraction(), o.getTestFraction())))
            .setCoder(Sample.SampleCoder.of());

    PCollectionView<PcaModel> pca =
        samples
            .apply("TrainRows", Filter.by((Sample s) -> s.split == Sample.TRAIN))
            .apply("GatherTrain", Combine.globally(new ToSortedList()).withoutDefaults())
            .apply("FitPCA", ParDo.of(new FitPcaFn(o.getComponents())))
            .apply("PcaView", View.asSingleton());

    PCollectionView<Dataset> data =
        samples
            .apply("Project", ParDo.of(new ProjectFn(pca)).withSideInputs(pca))
            .setCoder(Sample.SampleCoder.of())
            .apply("GatherAll", Combine.globally(new ToSortedList()).withoutDefaults())
            .apply("ToDataset", ParDo.of(new ToDatasetFn()))
            .apply("DatasetView", View.asSingleton());

    p.apply("ModelSpecs", Create.of(modelSpecs(o)).withCoder(StringUtf8Coder.of()))
        .apply("FanOut", Reshuffle.viaRandomKey())
        .apply("Train", ParDo.of(new TrainFn(data, o.getSeed())).withSideInputs(data))
        .apply("AllResults", WithKeys.of("all"))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), SerializableCoder.of(ModelResult.class)))
        .apply("Gather", GroupByKey.create())
        .apply("Evaluate", ParDo.of(new EvaluateFn(data, pca, o.getEnsembleSize())).withSideInputs(data, pca))
        .apply("WriteMetrics", TextIO.write().to(o.getOutput()).withoutSharding());
    return p;
  }

  /** The comma-separated {@code --models}, trimmed, empty entries dropped. */
  public static List<String> modelSpecs(MlTrainingOptions o) {
    List<String> specs = new ArrayList<>();
    for (String s : o.getModels().split(",")) {
      if (!s.isBlank()) {
        String type = Trainers.params(s).get("type"); // fail fast, before the pipeline runs
        if (!List.of("logit", "lda", "knn", "rf", "gbt").contains(type)) {
          throw new IllegalArgumentException(
              "unknown model type '" + type + "' in --models (known: logit, lda, knn, rf, gbt)");
        }
        specs.add(s.trim());
      }
    }
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("--models is empty");
    }
    return specs;
  }

  public static PipelineResult.State run(MlTrainingOptions o) throws IOException {
    Files.deleteIfExists(Paths.get(o.getOutput()));
    return buildPipeline(o, readLines(o.getInput())).run().waitUntilFinish();
  }

  public static void main(String[] args) throws IOException {
    MlTrainingOptions o =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(MlTrainingOptions.class);
    long start = System.nanoTime();
    PipelineResult.State state = run(o);
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf(
        "MlTraining finished: state=%s runner=%s input=%s models=%d (%d ms)%n",
        state,
        o.getRunner().getSimpleName(),
        o.getInput().isEmpty() ? "<embedded digits.csv.gz>" : o.getInput(),
        modelSpecs(o).size(),
        millis);
    System.out.println("metrics -> " + o.getOutput());
    for (String l : Files.readAllLines(Paths.get(o.getOutput()), StandardCharsets.UTF_8)) {
      System.out.println("  " + l);
    }
  }
}
