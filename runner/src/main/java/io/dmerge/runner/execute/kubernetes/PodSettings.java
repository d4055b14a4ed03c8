package io.dmerge.runner.execute.kubernetes;

import java.time.Duration;
import java.util.List;

/**
 * How a job's worker pods are made, from the pipeline options.
 *
 * @param node the node the pods are pinned to when they are not spread: the driver's, whose tmpfs
 *     then holds the job's regions
 * @param placement whether the pods are spread over the nodes that run a node agent, or pinned
 * @param driverHost where the pods connect back to the driver
 * @param startTimeout how long a new pod may take to be scheduled, pull its image and connect
 */
public record PodSettings(
    String namespace, String image, String node, WorkerPlacement placement, String driverHost, List<String> jvmArgs,
    Duration startTimeout) {}
