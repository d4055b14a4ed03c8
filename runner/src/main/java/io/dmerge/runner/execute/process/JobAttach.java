package io.dmerge.runner.execute.process;

import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import org.apache.beam.sdk.values.WindowedValues.WindowedValueCoder;

/**
 * The control message that attaches a worker to a job, for the tasks that follow.
 *
 * @param job the job's regions as the worker's node has them: that node's name and roots
 * @param agents the node agents through which the worker rmaps regions of other nodes; {@link
 *     NodeDirectory#EMPTY} when every region of the job is on the worker's node
 * @param elementMetadata whether the driver's {@code WindowedValue} coders carry element metadata:
 *     a JVM-wide switch in Beam ({@link WindowedValueCoder#setMetadataSupported()}) that changes
 *     their bytes, so the worker must match it
 */
public record JobAttach(ShmConfig job, NodeDirectory agents, boolean elementMetadata) {
  /** Attaches with the driver's own metadata switch, as it is now. */
  public JobAttach(ShmConfig job, NodeDirectory agents) {
    this(job, agents, WindowedValueCoder.isMetadataSupported());
  }
}
