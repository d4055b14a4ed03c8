package io.dmerge.runner;

import io.dmerge.runner.execute.InProcessExecutor;
import io.dmerge.runner.schedule.TaskExecutor;
import io.dmerge.runner.execute.process.ProcessExecutor;
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
      String jvmOptions = options.getWorkerJvmOptions().strip();
      return new ProcessExecutor(regions, options.getParallelism(), jvmOptions.isEmpty() ? List.of() : List.of(jvmOptions.split("\\s+")));
    }
  },
  KUBERNETES {
    @Override
    TaskExecutor create(DmergePipelineOptions options, Dmerge dmerge, ShmConfig regions) {
      throw new UnsupportedOperationException("--executor=kubernetes is not available in this build");
    }
  };

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
