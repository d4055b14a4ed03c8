package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.process.JobAttach;
import io.dmerge.runner.execute.process.WorkerHandshake;
import io.dmerge.shuffle.Dmerges;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.JobLeases;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;

/**
 * Worker pods spread over the nodes that run a Dmerge node agent. A worker registers its regions in
 * the job's directory on its own node, which that node's agent holds for the driver from the first
 * worker there until the job ends ({@link JobLeases}), and rmaps other nodes' regions through
 * their agents; regions of its own node stay zero-copy. The driver itself keeps no region and
 * reads none, so it needs no job directory of its own.
 */
final class SpreadPlacement implements Placement {
  /** Node affinity on node names themselves: the hostname label need not equal them. */
  private static final String NODE_NAME_FIELD = "metadata.name";

  private final NodeDirectory agents;
  private final JobLeases leases;

  SpreadPlacement(NodeDirectory agents, ShmConfig job) {
    this.agents = agents;
    this.leases = new JobLeases(agents, job.jobId(), job.memoryBudget(), Dmerges.remoteTimeout());
  }

  /** Only on nodes with an agent, and spread over them: a job's pods avoid sharing a node while others are free. */
  @Override
  public Pod place(Pod pod) {
    return new PodBuilder(pod)
        .editSpec()
        .withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm()
        .addNewMatchField().withKey(NODE_NAME_FIELD).withOperator("In").withValues(List.copyOf(agents.nodes())).endMatchField()
        .endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity()
        .addNewTopologySpreadConstraint()
        .withMaxSkew(1).withTopologyKey(PinnedPlacement.HOSTNAME_LABEL).withWhenUnsatisfiable("ScheduleAnyway")
        .withNewLabelSelector().withMatchLabels(pod.getMetadata().getLabels()).endLabelSelector()
        .endTopologySpreadConstraint()
        .endSpec()
        .build();
  }

  @Override
  public JobAttach attachment(String pod, String node) {
    if (node.isEmpty()) {
      throw new IllegalStateException(
          "worker pod " + pod + " did not say which node it runs on (env " + WorkerHandshake.NODE_ENV + ", from spec.nodeName)");
    }
    if (!agents.nodes().contains(node)) {
      throw new IllegalStateException(
          "worker pod " + pod + " runs on node " + node + ", which has no Dmerge node agent (agents run on " + agents.nodes() + ")");
    }
    return new JobAttach(leases.on(node), agents);
  }

  @Override
  public void release(RegionMeta region) {
    leases.release(region);
  }

  /** Ends the job's hold on every node: each node's agent deletes the job's directories there. */
  @Override
  public void close() {
    leases.close();
  }
}
