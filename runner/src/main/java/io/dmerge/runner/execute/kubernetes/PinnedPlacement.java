package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.process.JobAttach;
import io.dmerge.shuffle.Dmerge;
import io.dmerge.shuffle.Dmerges;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;

/**
 * Every worker pod on one node, the driver's: the driver owns the job's directory in that node's
 * tmpfs, as for local worker processes, and every worker attaches to it. Needs no node agent.
 */
final class PinnedPlacement implements Placement {
  static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

  private final String node;
  private final JobAttach attach;
  private final Dmerge regions;

  PinnedPlacement(String node, ShmConfig job) {
    this.node = node;
    this.attach = new JobAttach(job, NodeDirectory.EMPTY);
    this.regions = Dmerges.open(job);
  }

  @Override
  public Pod place(Pod pod) {
    return new PodBuilder(pod).editSpec().withNodeSelector(Map.of(HOSTNAME_LABEL, node)).endSpec().build();
  }

  /** The driver's job, whatever the worker says: it runs on the driver's node. */
  @Override
  public JobAttach attachment(String pod, String workerNode) {
    return attach;
  }

  @Override
  public void release(RegionMeta region) {
    regions.release(region.id());
  }

  @Override
  public void close() {
    regions.close();
  }
}
