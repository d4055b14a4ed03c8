package io.dmerge.runner.execute.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.runner.DynamicRebalancingTest;
import io.dmerge.runner.UnboundedStreamingTest;
import io.dmerge.runner.execute.process.ProcessExecutorTest;
import io.dmerge.runner.execute.process.WorkerHandshake;
import io.dmerge.shuffle.shm.ShmConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tasks in worker pods, through Fabric8's mock API server with a {@link LocalKubelet} running each
 * pod as a local worker process: the same results, retries and failures as the process executor,
 * and no pod outlives its job. No node agent runs in the namespace, so the pods are pinned to the
 * driver's node and share its job directory (multi-node runs: {@link MultiNodeKubernetesTest}).
 */
class KubernetesExecutorTest {
  private static final String NAMESPACE = "dmerge-test";
  private static final String IMAGE = "dmerge/worker:test";
  private static final String NODE = "node-7";

  private static MockCluster cluster;
  private static KubernetesClient client;
  private static LocalKubelet kubelet;

  @TempDir Path regions;
  @TempDir Path spill;
  @TempDir Path markers;

  @BeforeAll
  static void startCluster() {
    cluster = new MockCluster(IMAGE, List.of(NODE), NAMESPACE);
    client = cluster.client;
    kubelet = cluster.kubelet;
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  /** No pod outlives its job, succeeded or failed, nor does any worker process. */
  @AfterEach
  void noPodsLeft() throws Exception {
    assertEquals(List.of(), client.pods().inNamespace(NAMESPACE).withLabel(WorkerPodSpec.APP_LABEL, WorkerPodSpec.APP).list().getItems());
    assertTrue(kubelet.allExited(Duration.ofSeconds(20)), "a deleted pod's worker process still runs");
    try (Stream<Path> a = Files.walk(regions); Stream<Path> b = Files.walk(spill)) {
      assertEquals(0, Stream.concat(a, b).filter(Files::isRegularFile).count(), "leftover region files");
    }
  }

  private Pipeline pipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(
                "--runner=DmergeRunner", "--executor=kubernetes", "--parallelism=2", "--maxTaskAttempts=3",
                "--regionDirectory=" + regions, "--spillDirectory=" + spill,
                "--kubernetesNamespace=" + NAMESPACE, "--workerImage=" + IMAGE, "--kubernetesNode=" + NODE,
                "--driverHost=127.0.0.1", "--workerJvmOptions=-Xmx256m", "--workerStartTimeoutSeconds=30")
            .create());
  }

  /** The pods created from here on. */
  private static List<Pod> podsSince(int mark) {
    List<Pod> all = kubelet.created();
    return all.subList(mark, all.size());
  }

  @Test
  void shuffleAndSideInputAcrossWorkerPods() {
    int mark = kubelet.created().size();
    Pipeline p = pipeline();
    PCollection<Integer> numbers = p.apply(Create.of(1, 2, 3, 4, 5, 6));
    PCollectionView<Integer> total = numbers.apply(Sum.integersGlobally().asSingletonView());
    PCollection<KV<String, Long>> counts = numbers.apply(ParDo.of(new ProcessExecutorTest.Parity())).apply(Count.perKey());
    PAssert.that(counts).containsInAnyOrder(KV.of("even", 3L), KV.of("odd", 3L));
    PCollection<Integer> scaled =
        numbers.apply("Scale", ParDo.of(new ProcessExecutorTest.TimesSide(total)).withSideInputs(total));
    PAssert.that(scaled).containsInAnyOrder(21, 42, 63, 84, 105, 126);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());

    List<Pod> pods = podsSince(mark);
    assertEquals(2, pods.size(), "one pod per unit of --parallelism, none replaced");
    for (Pod pod : pods) {
      assertWorkerPod(pod);
    }
    assertEquals(1, pods.stream().map(pod -> pod.getMetadata().getLabels().get(WorkerPodSpec.JOB_LABEL)).distinct().count());
  }

  private void assertWorkerPod(Pod pod) {
    assertEquals(WorkerPodSpec.APP, pod.getMetadata().getLabels().get(WorkerPodSpec.APP_LABEL));
    assertTrue(pod.getMetadata().getLabels().get(WorkerPodSpec.JOB_LABEL).startsWith("job-"));
    assertEquals(Map.of("kubernetes.io/hostname", NODE), pod.getSpec().getNodeSelector());
    assertEquals("Never", pod.getSpec().getRestartPolicy());
    Container worker = pod.getSpec().getContainers().get(0);
    assertEquals(IMAGE, worker.getImage());
    assertEquals(
        List.of("java", "-Xmx256m", "-cp", "/app/lib/*", "io.dmerge.runner.execute.process.WorkerMain", "--connect=127.0.0.1:"),
        worker.getCommand().stream().map(a -> a.replaceAll(":\\d+$", ":")).toList());
    Map<String, EnvVar> env = worker.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertEquals(pod.getMetadata().getName(), env.get(WorkerHandshake.NAME_ENV).getValue());
    assertEquals(32, env.get(WorkerHandshake.TOKEN_ENV).getValue().length());
    assertEquals("spec.nodeName", env.get(WorkerHandshake.NODE_ENV).getValueFrom().getFieldRef().getFieldPath());
    assertEquals(NODE, pod.getSpec().getNodeName(), "bound where the selector says");
    Map<String, String> hostPaths =
        pod.getSpec().getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v.getHostPath().getPath()));
    assertEquals(Map.of("regions", regions.toString(), "spill", spill.toString()), hostPaths);
    Map<String, String> mounts =
        worker.getVolumeMounts().stream().collect(Collectors.toMap(m -> m.getName(), m -> m.getMountPath()));
    assertEquals(hostPaths, mounts, "mounted where the driver has them");
  }

  @Test
  void aStreamingJobKeepsEachPartitionsStateInThePodThatRunsIt() {
    Pipeline p = pipeline();
    TestStream<Integer> events =
        TestStream.create(VarIntCoder.of())
            .addElements(1, 2, 3, 4)
            .advanceWatermarkTo(new Instant(0).plus(Duration.ofMinutes(5).toMillis()))
            .addElements(5, 6, 7, 8)
            .advanceWatermarkToInfinity();
    PCollection<KV<Integer, Integer>> sums =
        p.apply(events)
            .apply(
                Window.<Integer>into(new GlobalWindows())
                    .triggering(AfterWatermark.pastEndOfWindow())
                    .withAllowedLateness(org.joda.time.Duration.ZERO)
                    .discardingFiredPanes())
            .apply(WithKeys.of((Integer i) -> i % 4).withKeyType(TypeDescriptors.integers()))
            .apply(Sum.integersPerKey());
    PAssert.that(sums).containsInAnyOrder(KV.of(0, 12), KV.of(1, 6), KV.of(2, 8), KV.of(3, 10));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void anUnboundedSplittableDoFnStreamsOnPodsWithItsWatermark() {
    Pipeline p = pipeline();
    PCollection<Integer> sums =
        p.apply(Create.of(10))
            .apply(ParDo.of(new UnboundedStreamingTest.Ticks()))
            .apply(Window.into(FixedWindows.of(org.joda.time.Duration.standardSeconds(5))))
            .apply(Sum.integersGlobally().withoutDefaults());
    PAssert.that(sums).inOnTimePane(new IntervalWindow(new Instant(0), new Instant(5000))).containsInAnyOrder(10);
    PAssert.that(sums).inOnTimePane(new IntervalWindow(new Instant(5000), new Instant(10000))).containsInAnyOrder(35);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aRunningReadIsSplitOntoAnIdlePod() {
    Pipeline p = pipeline();
    DynamicRebalancingTest.readAcrossSlots(p, 2500, markers.resolve("no-failure"));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aWorkerPodThatDiesMidTaskIsReplacedAndItsTaskRetried() {
    int mark = kubelet.created().size();
    Pipeline p = pipeline();
    PCollection<KV<String, Iterable<Integer>>> grouped =
        p.apply(Create.of(KV.of("a", 1), KV.of("a", 2), KV.of("b", 3)))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new ProcessExecutorTest.DieOnceFn(markers.resolve("died").toString())));
    PAssert.that(grouped.apply(Count.globally())).containsInAnyOrder(2L);
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
    assertTrue(Files.exists(markers.resolve("died")), "the first attempt really killed its worker");
    assertEquals(3, podsSince(mark).size(), "two pods and the dead one's replacement");
  }

  @Test
  void aUserExceptionInAWorkerPodIsTheJobFailuresCause() {
    Pipeline p = pipeline();
    p.apply(Create.of(KV.of("k", 1))).apply(GroupByKey.create()).apply(ParDo.of(new ProcessExecutorTest.FailingFn()));
    PipelineResult result = p.run();
    Pipeline.PipelineExecutionException e = assertThrows(Pipeline.PipelineExecutionException.class, result::waitUntilFinish);
    assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    assertEquals("boom", e.getCause().getMessage());
  }

  /** Built directly, with the mock server's client injected, as the runner builds it with the real one. */
  @Test
  void aPodThatNeverConnectsFailsWithItsNameAndState() {
    PodSettings unpullable =
        new PodSettings(NAMESPACE, "dmerge/no-such-image:0", NODE, WorkerPlacement.AUTO, "127.0.0.1", List.of(), Duration.ofSeconds(2));
    ShmConfig job = new ShmConfig("job-never", regions, spill, 1 << 20, NODE);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> new KubernetesExecutor(cluster.newClient(), unpullable, job, 2));
    assertTrue(e.getMessage().startsWith("worker pod dmerge-job-never-w0 (phase Pending, waiting ErrImagePull) did not connect"), e.getMessage());
    assertTrue(e.getMessage().contains("within 2 s"), e.getMessage());
  }

  @Test
  void aMissingNamespaceIsNamed() {
    PodSettings elsewhere =
        new PodSettings("no-such-namespace", IMAGE, NODE, WorkerPlacement.AUTO, "127.0.0.1", List.of(), Duration.ofSeconds(2));
    ShmConfig job = new ShmConfig("job-nowhere", regions, spill, 1 << 20, NODE);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> new KubernetesExecutor(cluster.newClient(), elsewhere, job, 1));
    assertTrue(e.getMessage().startsWith("Kubernetes namespace 'no-such-namespace' does not exist"), e.getMessage());
  }
}
