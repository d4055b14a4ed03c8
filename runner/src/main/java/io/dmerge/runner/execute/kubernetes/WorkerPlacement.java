package io.dmerge.runner.execute.kubernetes;

import java.util.Arrays;
import java.util.Locale;

/** The values of --workerPlacement: where a job's worker pods may run, and so where its regions live. */
public enum WorkerPlacement {
  /** Spread over the nodes that run a Dmerge node agent if any agent is found; else as {@link #PIN}. */
  AUTO,
  /** Spread over the nodes that run a Dmerge node agent; the job fails to start if none is found. */
  SPREAD,
  /** On --kubernetesNode only, sharing the driver's job directory in its tmpfs; needs no agent. */
  PIN;

  public static WorkerPlacement parse(String value) {
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "--workerPlacement must be one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT) + ", got '" + value + "'");
    }
  }
}
