package io.dmerge.runner;

import io.dmerge.runner.execute.InProcessExecutor;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.runner.execute.kubernetes.KubernetesExecutor;
import io.dmerge.runner.execute.kubernetes.PodSettings;
import io.dmerge.runner.execute.process.ProcessExecutor;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.shm.ShmConfig;
import java.util.List;
import java.util.Arrays;
import java.util.Locale;

/** The values of --executor, and the executor each one builds. */
enum ExecutorKind {
  INPROCESS {
    @Override
    TaskExecutor create(DmergePipelineOptions options, Dmerge dmerge, ShmConfig regions) {
      return new InProcessExecutor(dmerge, options.getParallelism());
    }
  },
  PROCESS {
    @Override
    TaskExecutor create(DmergePipelineOptions options, Dmerge dmerge, ShmConfig regions) {
      return new ProcessExecutor(regions, options.getParallelism(), workerJvmArgs(options));
    }
  },
  KUBERNETES {
    /** The client finds its API server as kubectl does: in a pod, its service account; else kubeconfig. */
    @Override
    TaskExecutor create(DmergePipelineOptions options, Dmerge dmerge, ShmConfig regions) {
      PodSettings pods =
          new PodSettings(
              options.getKubernetesNamespace(), options.getWorkerImage(), options.getKubernetesNode(),
              options.getDriverHost(), workerJvmArgs(options), Duration.ofSeconds(options.getWorkerStartTimeoutSeconds()));
      return new KubernetesExecutor(new KubernetesClientBuilder().build(), pods, regions, options.getParallelism());
    }
  };

  private static List<String> workerJvmArgs(DmergePipelineOptions options) {
    String jvmOptions = options.getWorkerJvmOptions().strip();
    return jvmOptions.isEmpty() ? List.of() : List.of(jvmOptions.split("\\s+"));
  }

  abstract TaskExecutor create(DmergePipelineOptions options, Dmerge dmerge, ShmConfig regions);

  static ExecutorKind parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "--executor must be one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT) + ", got '" + name + "'");
    }
  }
}
