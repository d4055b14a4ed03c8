package io.dmerge.runner.execute.kubernetes;

import io.dmerge.shuffle.remote.NodeAgentMain;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.readiness.Readiness;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the Dmerge node agents of a namespace (k8s/agent-daemonset.yaml): pods labelled {@value
 * #APP_LABEL}={@value #APP} that are ready, each reachable at its node's address ({@code
 * status.hostIP}: agents use the host's network) on its container port named {@value #PORT_NAME}.
 */
final class NodeAgents {
  static final String APP_LABEL = WorkerPodSpec.APP_LABEL;
  static final String APP = "dmerge-agent";
  static final String PORT_NAME = "agent";

  private NodeAgents() {}

  /** Node name to agent address, for the agents ready now. */
  static NodeDirectory discover(KubernetesClient client, String namespace) {
    Map<String, InetSocketAddress> agents = new TreeMap<>();
    try {
      for (Pod pod : client.pods().inNamespace(namespace).withLabel(APP_LABEL, APP).list().getItems()) {
        String node = pod.getSpec().getNodeName();
        // An agent that is not ready may not listen yet; its node gets no workers.
        if (node != null && Readiness.isPodReady(pod) && pod.getStatus().getHostIP() != null) {
          agents.put(node, InetSocketAddress.createUnresolved(pod.getStatus().getHostIP(), port(pod)));
        }
      }
    } catch (KubernetesClientException e) {
      throw new IllegalStateException(
          "cannot list Dmerge node agents (pods labelled " + APP_LABEL + "=" + APP + ") in namespace " + namespace
              + ": " + e.getMessage(), e);
    }
    return new NodeDirectory(agents);
  }

  private static int port(Pod pod) {
    for (Container c : pod.getSpec().getContainers()) {
      for (ContainerPort p : c.getPorts()) {
        if (PORT_NAME.equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    return NodeAgentMain.DEFAULT_PORT;
  }
}
