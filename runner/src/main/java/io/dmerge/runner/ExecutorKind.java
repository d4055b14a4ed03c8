package io.dmerge.runner;

import io.dmerge.runner.execute.InProcessExecutor;
import io.dmerge.runner.execute.kubernetes.KubernetesExecutor;
import io.dmerge.runner.execute.kubernetes.PodSettings;
import io.dmerge.runner.execute.kubernetes.WorkerPlacement;
import io.dmerge.runner.execute.process.ProcessExecutor;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.Dmerges;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The values of --executor, and the executor each one builds for a job, owning the job's regions. */
enum ExecutorKind {
  INPROCESS {
    @Override
    TaskExecutor create(DmergePipelineOptions options, ShmConfig job) {
      return onThisNode(job, dmerge -> new InProcessExecutor(dmerge, options.getParallelism()));
    }
  },
  PROCESS {
    @Override
    TaskExecutor create(DmergePipelineOptions options, ShmConfig job) {
      return onThisNode(job, dmerge -> new ProcessExecutor(dmerge, job, options.getParallelism(), workerJvmArgs(options)));
    }
  },
  KUBERNETES {
    /**
     * The client finds its API server as kubectl does: in a pod, its service account; else
     * kubeconfig. The executor decides where the job's regions live (see {@link WorkerPlacement}).
     */
    @Override
    TaskExecutor create(DmergePipelineOptions options, ShmConfig job) {
      PodSettings pods =
          new PodSettings(
              options.getKubernetesNamespace(), options.getWorkerImage(), options.getKubernetesNode(),
              WorkerPlacement.parse(options.getWorkerPlacement()), options.getDriverHost(), workerJvmArgs(options),
              Duration.ofSeconds(options.getWorkerStartTimeoutSeconds()));
      return new KubernetesExecutor(new KubernetesClientBuilder().build(), pods, job, options.getParallelism());
    }
  };

  /** An executor whose tasks keep the job's regions on this node, under this driver's ownership. */
  private static TaskExecutor onThisNode(ShmConfig job, Function<Dmerge, TaskExecutor> executor) {
    Dmerge dmerge = Dmerges.open(job);
    try {
      return executor.apply(dmerge);
    } catch (RuntimeException e) {
      dmerge.close();
      throw e;
    }
  }

  private static List<String> workerJvmArgs(DmergePipelineOptions options) {
    String jvmOptions = options.getWorkerJvmOptions().strip();
    return jvmOptions.isEmpty() ? List.of() : List.of(jvmOptions.split("\\s+"));
  }

  abstract TaskExecutor create(DmergePipelineOptions options, ShmConfig job);

  static ExecutorKind parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "--executor must be one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT) + ", got '" + name + "'");
    }
  }
}
