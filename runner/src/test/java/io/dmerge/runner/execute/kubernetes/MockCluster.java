package io.dmerge.runner.execute.kubernetes;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fabric8's mock API server (CRUD mode) with a {@link LocalKubelet} that runs worker pods as local
 * processes on the given nodes; the runner's own client finds it through system properties, as it
 * finds a real API server through kubeconfig.
 */
final class MockCluster implements AutoCloseable {
  private static final Map<String, String> CONFIG_PROPERTIES =
      Map.of(
          Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "false",
          Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");

  final KubernetesMockServer server;
  final KubernetesClient client;
  final LocalKubelet kubelet;

  MockCluster(String image, List<String> nodes, String... namespaces) {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient();
    for (String namespace : namespaces) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    }
    kubelet = new LocalKubelet(client, image, nodes);
    CONFIG_PROPERTIES.forEach(System::setProperty);
    System.setProperty(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY, client.getMasterUrl().toString());
  }

  /** A new client of the mock server, as the runner would build one. */
  KubernetesClient newClient() {
    return server.createClient();
  }

  @Override
  public void close() {
    CONFIG_PROPERTIES.keySet().forEach(System::clearProperty);
    System.clearProperty(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY);
    kubelet.close();
    client.close();
    server.destroy();
  }
}
