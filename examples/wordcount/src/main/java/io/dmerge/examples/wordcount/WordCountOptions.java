package io.dmerge.examples.wordcount;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of {@link WordCount}. Runner-agnostic: pass {@code --runner=...} as usual. */
public interface WordCountOptions extends PipelineOptions {

  @Description(
      "Input file or glob (TextIO; .gz/.bz2 are decompressed automatically). "
          + "Empty = the embedded public-domain corpus (Jane Austen's six novels).")
  @Default.String("")
  String getInput();

  void setInput(String value);

  @Description("Output prefix; shards are written as <output>-SSSSS-of-NNNNN.")
  @Default.String("target/wordcount/out")
  String getOutput();

  void setOutput(String value);

  @Description(
      "Number of output shards; 0 lets the runner decide (on the DirectRunner that means one file"
          + " per bundle, which is very slow after Count.perElement).")
  @Default.Integer(1)
  int getNumShards();

  void setNumShards(int value);

  @Description("How many of the most frequent words to print after the run (0 = none).")
  @Default.Integer(10)
  int getTop();

  void setTop(int value);

  @Description(
      "If set, also write all output lines, sorted (byte order), to this single local file. "
          + "Sorted output is byte-identical across runners.")
  @Default.String("")
  String getSortedOutput();

  void setSortedOutput(String value);
}
