package io.dmerge.runner.execute.kubernetes;

import io.dmerge.shuffle.remote.NodeAgent;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A node of the mock cluster: memory and spill roots of its own, which play its tmpfs and disk,
 * and a Dmerge node agent serving them on a loopback port, as the agent DaemonSet's pod would.
 */
final class SimulatedNode implements AutoCloseable {
  final String name;
  final Path memoryRoot;
  final Path spillRoot;
  private final NodeAgent agent;

  SimulatedNode(String name, Path dir) {
    this.name = name;
    try {
      this.memoryRoot = Files.createDirectories(dir.resolve(name).resolve("shm"));
      this.spillRoot = Files.createDirectories(dir.resolve(name).resolve("spill"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.agent = NodeAgent.start(name, memoryRoot, spillRoot, new InetSocketAddress("127.0.0.1", 0));
  }

  /** Regions the agent has served to other nodes. */
  long servedRegions() {
    return agent.servedRegions();
  }

  /** What the node's roots hold: nothing once every job that used the node has ended. */
  List<Path> leftovers() {
    try (Stream<Path> a = Files.walk(memoryRoot); Stream<Path> b = Files.walk(spillRoot)) {
      return Stream.concat(a, b).filter(p -> !p.equals(memoryRoot) && !p.equals(spillRoot)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The agent's pod as the API server shows it: on this node, ready, on the node's address. */
  Pod agentPod(String namespace) {
    return agentPod(namespace, name, agent.address().getPort());
  }

  /** An agent pod of {@code node} at {@code port}, whether or not anything listens there. */
  static Pod agentPod(String namespace, String node, int port) {
    return new PodBuilder()
        .withNewMetadata().withName("dmerge-agent-" + node).withNamespace(namespace)
        .addToLabels(NodeAgents.APP_LABEL, NodeAgents.APP).endMetadata()
        .withNewSpec().withNodeName(node).withHostNetwork(true)
        .addNewContainer().withName("agent").withImage("dmerge/worker:test")
        .addNewPort().withName(NodeAgents.PORT_NAME).withContainerPort(port).endPort().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Running").withHostIP("127.0.0.1").withPodIP("127.0.0.1")
        .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus()
        .build();
  }

  @Override
  public void close() {
    agent.close();
  }
}
