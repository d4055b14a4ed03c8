package io.dmerge.runner.execute.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.runner.execute.process.ProcessExecutorTest;
import io.dmerge.runner.execute.process.WorkerHandshake;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's worker pods spread over three simulated nodes, each with its own memory and spill roots
 * and its own node agent (published as an agent pod, as the DaemonSet's would be): shuffles and
 * side inputs cross nodes through the agents with exactly the right results, and no node keeps
 * anything of a job that succeeded, failed or was cancelled. A node whose agent does not answer,
 * and spreading without agents, fail naming the problem.
 */
class MultiNodeKubernetesTest {
  private static final String NAMESPACE = "dmerge-multi";
  /** A namespace whose only agent, on node {@value #DEAD_NODE}, does not listen. */
  private static final String DEAD_AGENT_NAMESPACE = "dmerge-dead-agent";
  private static final String NO_AGENT_NAMESPACE = "dmerge-no-agent";
  private static final String IMAGE = "dmerge/worker:test";
  private static final String DEAD_NODE = "node-dead";
  private static final List<String> NODES = List.of("node-1", "node-2", "node-3");

  @TempDir static Path nodeDirs;
  private static MockCluster cluster;
  private static List<SimulatedNode> nodes;
  private static int deadAgentPort;

  /** The driver's own directories: in a spread job it keeps no region, so they must stay empty. */
  @TempDir Path driverRegions;
  @TempDir Path driverSpill;
  @TempDir Path markers;

  @BeforeAll
  static void startCluster() throws IOException {
    List<String> all = Stream.concat(NODES.stream(), Stream.of(DEAD_NODE)).toList();
    cluster = new MockCluster(IMAGE, all, NAMESPACE, DEAD_AGENT_NAMESPACE, NO_AGENT_NAMESPACE);
    nodes = NODES.stream().map(n -> new SimulatedNode(n, nodeDirs)).toList();
    for (SimulatedNode node : nodes) {
      cluster.client.pods().inNamespace(NAMESPACE).resource(node.agentPod(NAMESPACE)).create();
    }
    // An agent that is not ready yet: its node gets no workers.
    Pod starting = SimulatedNode.agentPod(NAMESPACE, DEAD_NODE, 1);
    starting.getStatus().getConditions().get(0).setStatus("False");
    cluster.client.pods().inNamespace(NAMESPACE).resource(starting).create();
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadAgentPort = s.getLocalPort();
    }
    cluster.client.pods().inNamespace(DEAD_AGENT_NAMESPACE)
        .resource(SimulatedNode.agentPod(DEAD_AGENT_NAMESPACE, DEAD_NODE, deadAgentPort)).create();
  }

  @AfterAll
  static void stopCluster() {
    nodes.forEach(SimulatedNode::close);
    cluster.close();
  }

  /** Nothing of any job on any node, nor in the driver's directories; no pod or worker left. */
  @AfterEach
  void nothingLeft() throws Exception {
    for (SimulatedNode node : nodes) {
      assertEquals(List.of(), node.leftovers(), "left on " + node.name);
    }
    try (Stream<Path> a = Files.list(driverRegions); Stream<Path> b = Files.list(driverSpill)) {
      assertEquals(List.of(), Stream.concat(a, b).toList(), "the driver keeps no region of a spread job");
    }
    assertEquals(List.of(), cluster.client.pods().inAnyNamespace().withLabel(WorkerPodSpec.APP_LABEL, WorkerPodSpec.APP).list().getItems());
    assertTrue(cluster.kubelet.allExited(java.time.Duration.ofSeconds(20)), "a deleted pod's worker process still runs");
  }

  private Pipeline pipeline(String namespace, int parallelism, String... more) {
    List<String> args =
        Stream.concat(
                Stream.of(
                    "--runner=DmergeRunner", "--executor=kubernetes", "--parallelism=" + parallelism, "--maxTaskAttempts=2",
                    "--regionDirectory=" + driverRegions, "--spillDirectory=" + driverSpill,
                    "--kubernetesNamespace=" + namespace, "--workerImage=" + IMAGE, "--kubernetesNode=driver-node",
                    "--driverHost=127.0.0.1", "--workerJvmOptions=-Xmx256m", "--workerStartTimeoutSeconds=30"),
                Stream.of(more))
            .toList();
    return Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create());
  }

  private static long servedRegions() {
    return nodes.stream().mapToLong(SimulatedNode::servedRegions).sum();
  }

  /** The pods created from here on, as bound to their nodes. */
  private static List<Pod> podsSince(int mark) {
    List<Pod> all = cluster.kubelet.created();
    return all.subList(mark, all.size());
  }

  @Test
  void aShuffleACombineAndASideInputCrossNodesWithExactResults() {
    int mark = cluster.kubelet.created().size();
    long servedBefore = servedRegions();
    Pipeline p = pipeline(NAMESPACE, 3);
    PCollection<Integer> numbers = p.apply(Create.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
    PCollectionView<Integer> total = numbers.apply(Sum.integersGlobally().asSingletonView());
    PCollection<KV<String, Integer>> parity = numbers.apply(ParDo.of(new ProcessExecutorTest.Parity()));
    PAssert.that(parity.apply(Count.perKey())).containsInAnyOrder(KV.of("even", 4L), KV.of("odd", 5L));
    PCollection<KV<String, Integer>> sums =
        parity.apply(GroupByKey.create()).apply(ParDo.of(new AllTasksAtOnceSumFn(markers.toString(), 3)));
    PAssert.that(sums).containsInAnyOrder(KV.of("even", 20), KV.of("odd", 25));
    PCollection<Integer> scaled =
        numbers.apply("Scale", ParDo.of(new ProcessExecutorTest.TimesSide(total)).withSideInputs(total));
    PAssert.that(scaled).containsInAnyOrder(45, 90, 135, 180, 225, 270, 315, 360, 405);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    List<Pod> pods = podsSince(mark);
    assertEquals(3, pods.size(), "one pod per unit of --parallelism, none replaced");
    assertEquals(Set.copyOf(NODES), pods.stream().map(pod -> pod.getSpec().getNodeName()).collect(Collectors.toSet()),
        "one worker on each node");
    for (Pod pod : pods) {
      assertSpreadPod(pod);
    }
    // The GroupByKey's three consumer tasks ran at once, so on all three nodes, and each of them
    // rmaps every producer's region: at least two of them read another node's regions.
    assertTrue(servedRegions() - servedBefore >= 2, "regions fetched through agents: " + (servedRegions() - servedBefore));
  }

  private static void assertSpreadPod(Pod pod) {
    assertEquals(Map.of(), pod.getSpec().getNodeSelector(), "not pinned");
    NodeSelectorRequirement onAgentNodes =
        pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms().get(0).getMatchFields().get(0);
    assertEquals("metadata.name", onAgentNodes.getKey());
    assertEquals(Set.copyOf(NODES), Set.copyOf(onAgentNodes.getValues()), "only nodes with a ready agent");
    assertEquals(PinnedPlacement.HOSTNAME_LABEL, pod.getSpec().getTopologySpreadConstraints().get(0).getTopologyKey());
    assertEquals(
        "spec.nodeName",
        pod.getSpec().getContainers().get(0).getEnv().stream()
            .filter(e -> e.getName().equals(WorkerHandshake.NODE_ENV)).findFirst().orElseThrow()
            .getValueFrom().getFieldRef().getFieldPath());
  }

  @Test
  void aFailedJobLeavesNothingOnAnyNode() {
    Pipeline p = pipeline(NAMESPACE, 2);
    p.apply(Create.of(KV.of("k", 1), KV.of("l", 2), KV.of("m", 3)))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new ProcessExecutorTest.FailingFn()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertEquals("boom", e.getCause().getMessage());
    // nothingLeft() checks every node.
  }

  @Test
  void aCancelledJobLeavesNothingOnAnyNode() throws Exception {
    Pipeline p = pipeline(NAMESPACE, 2);
    p.apply(Create.of(KV.of("k", 1), KV.of("l", 2), KV.of("m", 3)))
        .apply(GroupByKey.create())
        .apply(ParDo.of(new SignalThenSleepFn(markers.resolve("running").toString())));
    PipelineResult result = p.run();
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!Files.exists(markers.resolve("running")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(Files.exists(markers.resolve("running")), "the job reached its second stage");
    assertTrue(nodes.stream().anyMatch(n -> n.leftovers().stream().anyMatch(f -> f.toString().endsWith(".region"))),
        "the first stage's regions are on the nodes while the job runs");
    assertEquals(PipelineResult.State.CANCELLED, result.cancel());
    assertEquals(PipelineResult.State.CANCELLED, result.waitUntilFinish(Duration.standardSeconds(30)));
    // nothingLeft() checks every node: the regions went with the job.
  }

  @Test
  void aNodeWhoseAgentDoesNotAnswerIsNamedWithTheAgentsAddress() {
    Pipeline p = pipeline(DEAD_AGENT_NAMESPACE, 1);
    p.apply(Create.of(1, 2, 3)).apply(Sum.integersGlobally());
    IllegalStateException e = assertThrows(IllegalStateException.class, p::run);
    assertTrue(e.getMessage().contains("node " + DEAD_NODE) && e.getMessage().contains("127.0.0.1:" + deadAgentPort)
        && e.getMessage().contains("unreachable"), e.getMessage());
  }

  @Test
  void spreadingWithoutAgentsFailsNamingTheNamespace() {
    Pipeline p = pipeline(NO_AGENT_NAMESPACE, 1, "--workerPlacement=spread");
    p.apply(Create.of(1, 2, 3)).apply(Sum.integersGlobally());
    IllegalStateException e = assertThrows(IllegalStateException.class, p::run);
    assertTrue(e.getMessage().contains("no Dmerge node agent is ready in namespace " + NO_AGENT_NAMESPACE), e.getMessage());
  }

  /**
   * Sums each key's values, but first holds every task until {@code tasks} tasks of the stage have
   * started (a marker file each, at most a minute), so that they run at once, on as many workers.
   */
  static final class AllTasksAtOnceSumFn extends DoFn<KV<String, Iterable<Integer>>, KV<String, Integer>> {
    private final String markers;
    private final int tasks;

    AllTasksAtOnceSumFn(String markers, int tasks) {
      this.markers = markers;
      this.tasks = tasks;
    }

    @StartBundle
    public void startBundle() throws Exception {
      Files.createFile(Path.of(markers, "task-" + java.util.UUID.randomUUID()));
      long deadline = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
      while (started() < tasks && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }

    private long started() throws IOException {
      try (Stream<Path> s = Files.list(Path.of(markers))) {
        return s.filter(f -> f.getFileName().toString().startsWith("task-")).count();
      }
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int sum = 0;
      for (int v : c.element().getValue()) {
        sum += v;
      }
      c.output(KV.of(c.element().getKey(), sum));
    }
  }

  /** Leaves {@code marker}, then sleeps until its worker is killed. */
  static final class SignalThenSleepFn extends DoFn<KV<String, Iterable<Integer>>, String> {
    private final String marker;

    SignalThenSleepFn(String marker) {
      this.marker = marker;
    }

    @ProcessElement
    public void process(ProcessContext c) throws Exception {
      try {
        Files.createFile(Path.of(marker));
      } catch (FileAlreadyExistsException e) {
        // another key's element got here first
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread.sleep(60_000);
    }
  }
}
