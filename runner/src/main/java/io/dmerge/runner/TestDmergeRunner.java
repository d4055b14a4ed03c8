package io.dmerge.runner;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The runner for TestPipeline: runs on {@link DmergeRunner} and blocks until the job ends, so a
 * failure surfaces from {@code run()} and PAssert's success counters are final when it returns.
 */
public final class TestDmergeRunner extends PipelineRunner<PipelineResult> {
  private final DmergeRunner delegate;

  private TestDmergeRunner(DmergeRunner delegate) {
    this.delegate = delegate;
  }

  public static TestDmergeRunner fromOptions(PipelineOptions options) {
    return new TestDmergeRunner(DmergeRunner.fromOptions(options));
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    PipelineResult result = delegate.run(pipeline);
    result.waitUntilFinish();
    return result;
  }
}
