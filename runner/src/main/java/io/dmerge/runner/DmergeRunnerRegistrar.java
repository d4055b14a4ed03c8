package io.dmerge.runner;

import com.google.auto.service.AutoService;
import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Makes {@code --runner=DmergeRunner} and {@code --runner=TestDmergeRunner} resolve by name. */
public final class DmergeRunnerRegistrar {
  private DmergeRunnerRegistrar() {}

  /** The runners. */
  @AutoService(PipelineRunnerRegistrar.class)
  public static final class Runners implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(DmergeRunner.class, TestDmergeRunner.class);
    }
  }

  /** The options. */
  @AutoService(PipelineOptionsRegistrar.class)
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      // MetricsOptions: --metricsSink and --metricsPushPeriod, which the runner honours (MetricsPush).
      return List.of(DmergePipelineOptions.class, MetricsOptions.class);
    }
  }
}
