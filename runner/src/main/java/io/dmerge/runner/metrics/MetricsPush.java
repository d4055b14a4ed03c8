package io.dmerge.runner.metrics;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.core.metrics.NoOpMetricsSink;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricsOptions;
import org.apache.beam.sdk.metrics.MetricsSink;
import org.apache.beam.sdk.util.InstanceBuilder;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.util.concurrent.ThreadFactoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes a job's metrics to the sink named by {@code --metricsSink} every {@code
 * --metricsPushPeriod} seconds while the job runs, and once more when it has ended, before anyone
 * waiting on the job learns so: a batch job is often over before the first period, and Beam's
 * {@code MetricsPusher} would push its final metrics only at the next period, from a daemon thread
 * the JVM may not wait for. A sink that fails is logged, never fails the job.
 */
public final class MetricsPush implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsPush.class);

  private final MetricsSink sink;
  private final JobMetrics metrics;
  private final ScheduledExecutorService timer;

  private MetricsPush(MetricsSink sink, JobMetrics metrics, long periodSeconds) {
    this.sink = sink;
    this.metrics = metrics;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("dmerge-metrics-push").setDaemon(true).build());
    timer.scheduleAtFixedRate(this::push, periodSeconds, periodSeconds, TimeUnit.SECONDS);
  }

  /** Starts pushing; null when no sink is configured. */
  public static MetricsPush start(MetricsOptions options, JobMetrics metrics) {
    Class<? extends MetricsSink> sinkClass = options.getMetricsSink();
    if (sinkClass == null || sinkClass == NoOpMetricsSink.class) {
      return null;
    }
    Long period = options.getMetricsPushPeriod();
    if (period == null || period <= 0) {
      throw new IllegalArgumentException("--metricsPushPeriod must be a positive number of seconds, got " + period);
    }
    MetricsSink sink = InstanceBuilder.ofType(MetricsSink.class).fromClass(sinkClass).withArg(MetricsOptions.class, options).build();
    return new MetricsPush(sink, metrics, period);
  }

  private synchronized void push() {
    MetricQueryResults results = metrics.results().allMetrics();
    if (!results.getCounters().iterator().hasNext()
        && !results.getDistributions().iterator().hasNext()
        && !results.getGauges().iterator().hasNext()
        && !results.getStringSets().iterator().hasNext()
        && !results.getBoundedTries().iterator().hasNext()
        && !results.getHistograms().iterator().hasNext()) {
      return;
    }
    try {
      sink.writeMetrics(results);
    } catch (Exception e) {
      LOG.warn("metrics sink {} failed", sink.getClass().getName(), e);
    }
  }

  /** Stops the periodic pushes and pushes the final metrics. */
  @Override
  public void close() {
    timer.shutdownNow();
    push();
  }
}
