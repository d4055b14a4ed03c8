package io.dmerge.runner.execute.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
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
 * A kubelet for the mock API server: runs every pod created in a namespace as a local process of
 * the pod's command and environment, with this JVM's java and classpath standing in for the image's;
 * reports the pod Running, then Failed or Succeeded when the process ends; kills the process when
 * the pod is deleted. Pods of any other image stay Pending as if their image could not be pulled.
 */
final class LocalKubelet implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;
  private final String image;
  private final Map<String, Process> running = new ConcurrentHashMap<>();
  private final List<Pod> created = new CopyOnWriteArrayList<>();
  private final List<Process> started = new CopyOnWriteArrayList<>();
  // API calls stay off the watch's own thread.
  private final ExecutorService events = Executors.newSingleThreadExecutor();
  private final Watch watch;

  LocalKubelet(KubernetesClient client, String namespace, String image) {
    this.client = client;
    this.namespace = namespace;
    this.image = image;
    this.watch =
        client.pods().inNamespace(namespace).watch(
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Pod pod) {
                events.execute(() -> handle(action, pod));
              }

              @Override
              public void onClose(WatcherException e) {}
            });
  }

  /** Every pod created so far, as it was created. */
  List<Pod> created() {
    return List.copyOf(created);
  }

  private void handle(Watcher.Action action, Pod pod) {
    String name = pod.getMetadata().getName();
    if (action == Watcher.Action.ADDED) {
      created.add(pod);
      Container container = pod.getSpec().getContainers().get(0);
      if (!image.equals(container.getImage())) {
        setStatus(name, new PodStatusBuilder().withPhase("Pending")
            .withContainerStatuses(new ContainerStatusBuilder().withName(container.getName())
                .withNewState().withNewWaiting().withReason("ErrImagePull").endWaiting().endState().build())
            .build());
        return;
      }
      Process process = start(container);
      started.add(process);
      running.put(name, process);
      setStatus(name, new PodStatusBuilder().withPhase("Running").build());
      process.onExit().thenAccept(p -> events.execute(() -> exited(name, p)));
    } else if (action == Watcher.Action.DELETED) {
      Process process = running.remove(name);
      if (process != null) {
        process.destroyForcibly();
      }
    }
  }

  private void exited(String name, Process process) {
    if (running.remove(name, process)) {
      int code = process.exitValue();
      setStatus(name, new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed")
          .withContainerStatuses(new ContainerStatusBuilder().withName("worker")
              .withNewState().withNewTerminated().withReason(code == 0 ? "Completed" : "Error").withExitCode(code)
              .endTerminated().endState().build())
          .build());
    }
  }

  private Process start(Container container) {
    List<String> command = new ArrayList<>(container.getCommand());
    command.set(0, System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.set(command.indexOf("-cp") + 1, System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    for (EnvVar env : container.getEnv()) {
      builder.environment().put(env.getName(), env.getValue());
    }
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void setStatus(String name, PodStatus status) {
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
