package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.process.JobAttach;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Where a job's worker pods may run, and so where the regions of the workers on each node live:
 * all on the driver's node ({@link PinnedPlacement}) or spread over the nodes that run a Dmerge
 * node agent ({@link SpreadPlacement}). It owns the job's regions as the driver sees them.
 */
interface Placement extends AutoCloseable {

  /** {@code pod} with its scheduling constraints. */
  Pod place(Pod pod);

  /** What the worker of {@code pod}, which runs on {@code node}, is attached to; fails naming the problem. */
  JobAttach attachment(String pod, String node);

  /** Drops a region on the node that holds it. */
  void release(RegionMeta region);

  /** Deletes every region of the job, on every node it used. */
  @Override
  void close();

  /** As --workerPlacement says, finding the node agents unless the pods are pinned. */
  static Placement choose(KubernetesClient client, PodSettings settings, ShmConfig job) {
    if (settings.placement() == WorkerPlacement.PIN) {
      return new PinnedPlacement(settings.node(), job);
    }
    NodeDirectory agents = NodeAgents.discover(client, settings.namespace());
    if (!agents.isEmpty()) {
      return new SpreadPlacement(agents, job);
    }
    if (settings.placement() == WorkerPlacement.SPREAD) {
      throw new IllegalStateException(
          "--workerPlacement=spread, but no Dmerge node agent is ready in namespace " + settings.namespace() + " (pods labelled "
              + NodeAgents.APP_LABEL + "=" + NodeAgents.APP + "; see k8s/agent-daemonset.yaml)");
    }
    return new PinnedPlacement(settings.node(), job);
  }
}
