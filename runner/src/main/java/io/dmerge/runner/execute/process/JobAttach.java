package io.dmerge.runner.execute.process;

import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;

/**
 * The control message that attaches a worker to a job, for the tasks that follow.
 *
 * @param job the job's regions as the worker's node has them: that node's name and roots
 * @param agents the node agents through which the worker rmaps regions of other nodes; {@link
 *     NodeDirectory#EMPTY} when every region of the job is on the worker's node
 */
public record JobAttach(ShmConfig job, NodeDirectory agents) {}
