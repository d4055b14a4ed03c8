package io.dmerge.runner;

import io.dmerge.runner.execute.kubernetes.WorkerPlacement;
import io.dmerge.runner.metrics.JobMetrics;
import io.dmerge.runner.metrics.MetricsPush;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.StagePlan;
import io.dmerge.runner.schedule.Scheduler;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.runner.translate.PipelineTranslator;
import io.dmerge.shuffle.shm.ShmConfig;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Beam pipeline as fused stages whose shuffles and side inputs move through Dmerge regions:
 * translate → plan → schedule → execute. Bounded pipelines run as batch; pipelines that read a
 * TestStream or an unbounded source stream, in rounds ({@code schedule/StreamRounds}).
 *
 * <p>{@link #run} translates and plans synchronously, so an unsupported transform fails right
 * there, then runs the job in the background; {@link PipelineResult#waitUntilFinish()} waits.
 */
public final class DmergeRunner extends PipelineRunner<DmergePipelineResult> {
  private static final Logger LOG = LoggerFactory.getLogger(DmergeRunner.class);

  private final DmergePipelineOptions options;

  private DmergeRunner(DmergePipelineOptions options) {
    this.options = options;
  }

  public static DmergeRunner fromOptions(PipelineOptions options) {
    return new DmergeRunner(validate(PipelineOptionsValidator.validate(DmergePipelineOptions.class, options)));
  }

  static DmergePipelineOptions validate(DmergePipelineOptions options) {
    require(options.getParallelism() >= 1, "--parallelism must be at least 1, got " + options.getParallelism());
    require(options.getMaxTaskAttempts() >= 1, "--maxTaskAttempts must be at least 1, got " + options.getMaxTaskAttempts());
    require(options.getRegionMemoryBudget() >= 0, "--regionMemoryBudget must not be negative, got " + options.getRegionMemoryBudget());
    require(options.getShuffleBlockBytes() >= 4096, "--shuffleBlockBytes must be at least 4096, got " + options.getShuffleBlockBytes());
    require(options.getWorkerStartTimeoutSeconds() >= 1, "--workerStartTimeoutSeconds must be at least 1, got " + options.getWorkerStartTimeoutSeconds());
    ExecutorKind.parse(options.getExecutor());
    WorkerPlacement.parse(options.getWorkerPlacement());
    return options;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  @Override
  public DmergePipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    StagePlan plan = Planner.plan(PipelineTranslator.translate(pipeline));
    LOG.debug("stage plan: {}", plan.stages());
    JobMetrics metrics = new JobMetrics();
    DmergePipelineResult result = new DmergePipelineResult(metrics);
    String jobId = "job-" + UUID.randomUUID();
    ShmConfig regions =
        new ShmConfig(
            jobId, Path.of(options.getRegionDirectory()), Path.of(options.getSpillDirectory()),
            options.getRegionMemoryBudget(), ShmConfig.localNode());
    MetricsPush push = MetricsPush.start(options.as(MetricsOptions.class), metrics);
    // The executor owns the job's regions: where it runs tasks decides where they live.
    TaskExecutor executor;
    try {
      executor = ExecutorKind.parse(options.getExecutor()).create(options, regions);
    } catch (RuntimeException e) {
      if (push != null) {
        push.close();
      }
      throw e;
    }
    Scheduler scheduler = new Scheduler(plan, options, executor, metrics);
    result.onCancel(scheduler::cancel);
    Thread job =
        new Thread(
            () -> {
              PipelineResult.State state = PipelineResult.State.DONE;
              Throwable failure = null;
              try {
                scheduler.run();
              } catch (CancellationException e) {
                state = PipelineResult.State.CANCELLED;
              } catch (Throwable t) {
                LOG.debug("job {} failed", jobId, t);
                state = PipelineResult.State.FAILED;
                failure = t instanceof Scheduler.TaskFailedException ? t.getCause() : t;
              }
              // Release the job's regions before anyone waiting learns that the job has ended.
              try {
                executor.close();
              } finally {
                if (push != null) {
                  push.close();
                }
                result.complete(state, failure);
              }
            },
            "dmerge-" + jobId);
    job.start();
    return result;
  }
}
