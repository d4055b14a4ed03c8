package io.dmerge.examples.ml;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@link MlTraining}. */
public interface MlTrainingOptions extends PipelineOptions {
  @Description(
      "Data set CSV (64 pixel values 0..16 then the digit label per line, optionally .gz)."
          + " Empty = the embedded UCI optical digits (1797 samples).")
  @Default.String("")
  String getInput();

  void setInput(String value);

  @Description("Number of principal components kept by the PCA step.")
  @Default.Integer(16)
  int getComponents();

  void setComponents(int value);

  @Description("Seed of the train/validation/test split and of the randomized trainers.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long value);

  @Description("Fraction of samples held out for model selection (validation).")
  @Default.Double(0.2)
  double getValidationFraction();

  void setValidationFraction(double value);

  @Description("Fraction of samples held out for the final evaluation (test).")
  @Default.Double(0.2)
  double getTestFraction();

  void setTestFraction(double value);

  @Description(
      "Models to train in parallel, comma-separated specs type[:key=value]... "
          + "(types: logit, lda, knn, rf, gbt; see Trainers).")
  @Default.String("logit:lambda=0.1,lda,knn:k=1,knn:k=5,rf:trees=100,gbt:trees=100")
  String getModels();

  void setModels(String value);

  @Description("How many of the best models (by validation accuracy) vote in the ensemble.")
  @Default.Integer(3)
  int getEnsembleSize();

  void setEnsembleSize(int value);

  @Description("Metrics report file.")
  @Default.String("target/ml/metrics.txt")
  String getOutput();

  void setOutput(String value);
}
