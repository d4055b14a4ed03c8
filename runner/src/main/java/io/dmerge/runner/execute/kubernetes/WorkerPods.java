package io.dmerge.runner.execute.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A job's worker pods as the Kubernetes API sees them: created, watched, described and deleted here. */
final class WorkerPods {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPods.class);
  private static final int FORBIDDEN = 403;

  private final KubernetesClient client;
  private final String namespace;
  private final WorkerPodSpec spec;

  WorkerPods(KubernetesClient client, String namespace, WorkerPodSpec spec) {
    this.client = client;
    this.namespace = namespace;
    this.spec = spec;
  }

  /** Fails clearly when the API server cannot be reached or the namespace does not exist. */
  static void check(KubernetesClient client, String namespace) {
    Namespace ns;
    try {
      ns = client.namespaces().withName(namespace).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == FORBIDDEN) {
        // A Role limited to pods (k8s/rbac.yaml) cannot read namespaces; creating a pod will tell.
        return;
      }
      throw new IllegalStateException(
          "cannot reach the Kubernetes API server at " + client.getMasterUrl() + ": " + e.getMessage(), e);
    }
    if (ns == null) {
      throw new IllegalStateException(
          "Kubernetes namespace '" + namespace + "' does not exist at " + client.getMasterUrl() + " (--kubernetesNamespace)");
    }
  }

  void create(String name, String token) {
    try {
      client.pods().inNamespace(namespace).resource(spec.pod(name, token)).create();
    } catch (KubernetesClientException e) {
      throw new IllegalStateException("cannot create worker pod " + name + " in namespace " + namespace + ": " + e.getMessage(), e);
    }
  }

  /** Deletes a pod now, without the grace period: its worker is already of no use. */
  void delete(String name) {
    try {
      client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
    } catch (KubernetesClientException e) {
      LOG.warn("cannot delete worker pod {}: {}", name, e.getMessage());
    }
  }

  /** Deletes every pod of the job, by its labels. */
  void deleteAll() {
    client.pods().inNamespace(namespace).withLabels(spec.labels()).withGracePeriod(0).delete();
  }

  /** The pod's state as a person would want to read it when its worker is missing. */
  String describe(String name) {
    Pod pod;
    try {
      pod = client.pods().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      return "pod " + name + " (state unknown: " + e.getMessage() + ")";
    }
    if (pod == null) {
      return "pod " + name + " (deleted)";
    }
    PodStatus status = pod.getStatus();
    StringBuilder s = new StringBuilder("pod " + name + " (phase ");
    s.append(status == null || status.getPhase() == null ? "Pending" : status.getPhase());
    if (status != null) {
      append(s, "reason", status.getReason());
      append(s, "message", status.getMessage());
      if (status.getContainerStatuses() != null) {
        for (ContainerStatus c : status.getContainerStatuses()) {
          if (c.getState() != null && c.getState().getWaiting() != null) {
            append(s, "waiting", c.getState().getWaiting().getReason());
          }
          if (c.getState() != null && c.getState().getTerminated() != null) {
            append(s, "terminated", c.getState().getTerminated().getReason() + ", exit code " + c.getState().getTerminated().getExitCode());
          }
        }
      }
    }
    return s.append(')').toString();
  }

  private static void append(StringBuilder s, String what, String value) {
    if (value != null && !value.isBlank()) {
      s.append(", ").append(what).append(' ').append(value);
    }
  }

  /** Calls {@code gone} with a pod's name and state when it is deleted or its worker has ended. */
  Watch watch(BiConsumer<String, String> gone) {
    return client.pods().inNamespace(namespace).withLabels(spec.labels()).watch(
        new Watcher<>() {
          @Override
          public void eventReceived(Action action, Pod pod) {
            String name = pod.getMetadata().getName();
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if (action == Action.DELETED) {
              gone.accept(name, "pod " + name + " (deleted)");
            } else if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
              gone.accept(name, describe(name));
            }
          }

          @Override
          public void onClose(WatcherException e) {
            // Broken sockets still tell the driver about dead workers; only pods that vanish
            // silently (a lost node) go unnoticed until they do.
            LOG.warn("the watch of worker pods in {} closed: {}", namespace, e.getMessage());
          }
        });
  }
}
