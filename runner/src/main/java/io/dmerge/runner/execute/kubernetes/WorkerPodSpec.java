package io.dmerge.runner.execute.kubernetes;

import io.dmerge.runner.execute.process.WorkerHandshake;
import io.dmerge.runner.execute.process.WorkerMain;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pod of one worker of a job: the worker image running {@link WorkerMain}, connecting back to
 * the driver, with the region and spill roots mounted from its node at the same paths, so that
 * regions are shared through the node's tmpfs exactly as between local worker processes, and its
 * node's name from the downward API. Where it may run is the {@link Placement}'s part.
 */
final class WorkerPodSpec {
  static final String APP_LABEL = "app.kubernetes.io/name";
  static final String APP = "dmerge-worker";
  static final String JOB_LABEL = "dmerge.io/job";
  static final String CLASSPATH = "/app/lib/*";

  private final PodSettings settings;
  private final ShmConfig job;
  private final Placement placement;
  private final String driver;

  WorkerPodSpec(PodSettings settings, ShmConfig job, Placement placement, int driverPort) {
    this.settings = settings;
    this.job = job;
    this.placement = placement;
    this.driver = settings.driverHost() + ":" + driverPort;
  }

  String driver() {
    return driver;
  }

  /** The labels of every pod of the job, by which they are listed and deleted. */
  Map<String, String> labels() {
    return Map.of(APP_LABEL, APP, JOB_LABEL, job.jobId());
  }

  /** Pod names are DNS labels: lower case, at most 63 characters; a job id is "job-" and a UUID. */
  String podName(int n) {
    return "dmerge-" + job.jobId().toLowerCase(java.util.Locale.ROOT) + "-w" + n;
  }

  Pod pod(String name, String token) {
    List<String> command = new ArrayList<>();
    command.add("java");
    command.addAll(settings.jvmArgs());
    command.add("-cp");
    command.add(CLASSPATH);
    command.add(WorkerMain.class.getName());
    command.add(WorkerMain.CONNECT + driver);
    String regions = job.memoryRoot().toString();
    String spill = job.spillRoot().toString();
    return placement.place(new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(settings.namespace())
        .withLabels(labels())
        .endMetadata()
        .withNewSpec()
        // A worker that dies is replaced by a new pod; restarting it in place would attach nothing.
        .withRestartPolicy("Never")
        .addNewContainer()
        .withName("worker")
        .withImage(settings.image())
        .withCommand(command)
        .addNewEnv().withName(WorkerHandshake.TOKEN_ENV).withValue(token).endEnv()
        .addNewEnv().withName(WorkerHandshake.NAME_ENV).withValue(name).endEnv()
        .addNewEnv().withName(WorkerHandshake.NODE_ENV).withNewValueFrom().withNewFieldRef()
        .withFieldPath("spec.nodeName").endFieldRef().endValueFrom().endEnv()
        .addNewVolumeMount().withName("regions").withMountPath(regions).endVolumeMount()
        .addNewVolumeMount().withName("spill").withMountPath(spill).endVolumeMount()
        .endContainer()
        .addNewVolume().withName("regions").withNewHostPath().withPath(regions).withType("DirectoryOrCreate").endHostPath().endVolume()
        .addNewVolume().withName("spill").withNewHostPath().withPath(spill).withType("DirectoryOrCreate").endHostPath().endVolume()
        .endSpec()
        .build());
  }
}
