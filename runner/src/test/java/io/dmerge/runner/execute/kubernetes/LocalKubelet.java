package io.dmerge.runner.execute.kubernetes;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler and kubelet for the mock API server: binds every worker pod created in any namespace
 * to a node (its node selector's, else the next of the nodes its node affinity allows, round
 * robin), and runs it as a local process of the pod's command and environment (the downward API's
 * {@code spec.nodeName} resolved), with this JVM's java and classpath standing in for the image's;
 * reports the pod Running on 127.0.0.1, then Failed or Succeeded when the process ends; kills the
 * process when the pod is deleted. Pods of any other image stay Pending as if their image could
 * not be pulled, and pods no node may take stay Pending, unschedulable.
 */
final class LocalKubelet implements AutoCloseable {
  private static final String NODE_NAME_FIELD = "metadata.name";

  private final KubernetesClient client;
  private final String image;
  private final List<String> nodes;
  private int nextNode;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final List<Pod> created = new CopyOnWriteArrayList<>();
  private final List<Process> started = new CopyOnWriteArrayList<>();
  // API calls stay off the watch's own thread.
  private final ExecutorService events = Executors.newSingleThreadExecutor();
  private final Watch watch;

  LocalKubelet(KubernetesClient client, String image, List<String> nodes) {
    this.client = client;
    this.image = image;
    this.nodes = List.copyOf(nodes);
    this.watch =
        client.pods().inAnyNamespace().withLabel(WorkerPodSpec.APP_LABEL, WorkerPodSpec.APP).watch(
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Pod pod) {
                events.execute(() -> handle(action, pod));
              }

              @Override
              public void onClose(WatcherException e) {}
            });
  }

  /** Every pod created so far, as it was created and bound to its node. */
  List<Pod> created() {
    return List.copyOf(created);
  }

  private void handle(Watcher.Action action, Pod pod) {
    String name = pod.getMetadata().getName();
    String namespace = pod.getMetadata().getNamespace();
    if (action == Watcher.Action.ADDED) {
      String node = schedule(pod);
      if (node == null) {
        created.add(pod);
        setStatus(namespace, name, new PodStatusBuilder().withPhase("Pending").withReason("Unschedulable").build());
        return;
      }
      pod = new PodBuilder(pod).editSpec().withNodeName(node).endSpec().build();
      created.add(pod);
      bind(namespace, name, node);
      Container container = pod.getSpec().getContainers().get(0);
      if (!image.equals(container.getImage())) {
        setStatus(namespace, name, new PodStatusBuilder().withPhase("Pending")
            .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                .withNewState().withNewWaiting().withReason("ErrImagePull").endWaiting().endState().build())
            .build());
        return;
      }
      Process process = start(container, node);
      started.add(process);
      running.put(name, process);
      setStatus(namespace, name, new PodStatusBuilder().withPhase("Running").withHostIP("127.0.0.1").build());
      process.onExit().thenAccept(p -> events.execute(() -> exited(namespace, name, p)));
    } else if (action == Watcher.Action.DELETED) {
      Process process = running.remove(name);
      if (process != null) {
        process.destroyForcibly();
      }
    }
  }

  /** The pod's node selector's node, else the next node its affinity allows; null if none may take it. */
  private String schedule(Pod pod) {
    Map<String, String> selector = pod.getSpec().getNodeSelector();
    if (selector != null && selector.containsKey(PinnedPlacement.HOSTNAME_LABEL)) {
      return selector.get(PinnedPlacement.HOSTNAME_LABEL);
    }
    List<String> allowed = new ArrayList<>(nodes);
    Affinity affinity = pod.getSpec().getAffinity();
    if (affinity != null && affinity.getNodeAffinity() != null) {
      for (NodeSelectorTerm term : affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()) {
        for (NodeSelectorRequirement field : term.getMatchFields()) {
          if (NODE_NAME_FIELD.equals(field.getKey()) && "In".equals(field.getOperator())) {
            allowed.retainAll(field.getValues());
          }
        }
      }
    }
    return allowed.isEmpty() ? null : allowed.get(nextNode++ % allowed.size());
  }

  private void bind(String namespace, String name, String node) {
    try {
      client.pods().inNamespace(namespace).withName(name).edit(p -> new PodBuilder(p).editSpec().withNodeName(node).endSpec().build());
    } catch (KubernetesClientException deleted) {
      // The pod went first.
    }
  }

  private void exited(String namespace, String name, Process process) {
    if (running.remove(name, process)) {
      int code = process.exitValue();
      setStatus(namespace, name, new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed")
          .withContainerStatuses(new ContainerStatusBuilder().withName("worker")
              .withNewState().withNewTerminated().withReason(code == 0 ? "Completed" : "Error").withExitCode(code)
              .endTerminated().endState().build())
          .build());
    }
  }

  private Process start(Container container, String node) {
    List<String> command = new ArrayList<>(container.getCommand());
    command.set(0, System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.set(command.indexOf("-cp") + 1, System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    for (EnvVar env : container.getEnv()) {
      boolean nodeName = env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null
          && "spec.nodeName".equals(env.getValueFrom().getFieldRef().getFieldPath());
      builder.environment().put(env.getName(), nodeName ? node : env.getValue());
    }
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void setStatus(String namespace, String name, PodStatus status) {
    try {
      client.pods().inNamespace(namespace).withName(name).editStatus(p -> new PodBuilder(p).withStatus(status).build());
    } catch (KubernetesClientException deleted) {
      // The pod went first.
    }
  }

  /** Whether every pod's process has ended within the timeout: deleting a pod kills it a moment later. */
  boolean allExited(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Process p : started) {
      if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    watch.close();
    events.shutdownNow();
    running.values().forEach(Process::destroyForcibly);
  }
}
