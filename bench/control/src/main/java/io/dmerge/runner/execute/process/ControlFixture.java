package io.dmerge.runner.execute.process;

import io.dmerge.bench.control.ChainPipeline;
import io.dmerge.runner.execute.SideInputData;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskResult;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.plan.StagePlan;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.translate.PipelineTranslator;
import io.dmerge.runner.translate.Step;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.RegionMeta;
import io.dmerge.shuffle.remote.NodeDirectory;
import io.dmerge.shuffle.shm.ShmConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Real control messages of {@link ChainPipeline} with 200 source splits and parallelism 2, built
 * the way the scheduler builds them: a task of the 5-step chain stage (a source split, a side
 * input), a task of the stage that merges the chain's 200 regions per partition, a chain task's
 * result (one region; a metrics container per step, one counter), and a job attachment. Not in the runner's tests: in this
 * package only so it can reach the package-private control-channel classes.
 */
final class ControlFixture {
  static final int SHARDS = 200;

  final TaskSpec chainTask;
  final TaskSpec mergeTask;
  final TaskResult result;
  final ShmConfig job = new ShmConfig("job-0a1b2c3d", Path.of("/dev/shm/dmerge"), Path.of("/tmp/dmerge-spill"), 1L << 30, "node-1");
  /** What the worker is sent now; before, it was {@link #job} alone, Java-serialized. */
  final JobAttach attach = new JobAttach(job, NodeDirectory.EMPTY);

  ControlFixture() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=DmergeRunner", "--parallelism=2").create();
    StagePlan plan = Planner.plan(PipelineTranslator.translate(ChainPipeline.build(options, SHARDS, 10)));
    SerializablePipelineOptions serialized = new SerializablePipelineOptions(options);
    Stage chain =
        plan.stages().stream()
            .filter(s -> s.root() instanceof Step.Read)
            .max(Comparator.comparingInt(s -> s.steps().size()))
            .orElseThrow();
    Stage merge = plan.stages().stream().filter(s -> s.upstream().contains(chain.id())).findFirst().orElseThrow();
    List<? extends BoundedSource<?>> splits = ((Step.Read) chain.root()).source().split(1, options);
    chainTask =
        new TaskSpec(chain.id(), 7, 0, chain, new TaskInput.SourceSplit(splits.get(7)), sideInputs(plan, chain), 2, 262144, serialized);
    List<RegionRef> producers = new ArrayList<>();
    for (int t = 0; t < SHARDS; t++) {
      producers.add(ref("s" + chain.id() + "-t" + t + "-a0-w0"));
    }
    mergeTask =
        new TaskSpec(merge.id(), 1, 0, merge, new TaskInput.Partition(1, List.copyOf(producers)), sideInputs(plan, merge), 2, 262144, serialized);
    // As a task fills it: a container for every step that runs user code, here one counter in one.
    MetricsContainerStepMap metrics = new MetricsContainerStepMap();
    chain.steps().forEach(s -> metrics.getContainer(s.name()));
    metrics.getContainer(chain.steps().get(0).name()).getCounter(MetricName.named("bench", "elements")).inc(10);
    result = new TaskResult(Map.of("Sum/Combine.perKey(SumLong)", ref("s" + chain.id() + "-t7-a0-w0")), metrics);
  }

  private static RegionRef ref(String id) {
    return new RegionRef(new RegionMeta("node-1", id, 4096), AccessKey.random());
  }

  /** As the scheduler does: each view the stage reads, with the regions its producer wrote. */
  private static Map<String, SideInputData> sideInputs(StagePlan plan, Stage stage) {
    Map<String, Step.CreateView> producers = new HashMap<>();
    for (Stage s : plan.stages()) {
      for (Step.Boundary b : s.writes()) {
        if (b instanceof Step.CreateView view) {
          producers.put(Planner.viewId(view.view()), view);
        }
      }
    }
    Map<String, SideInputData> out = new LinkedHashMap<>();
    for (Step step : stage.steps()) {
      if (step instanceof Step.ParDo parDo) {
        for (PCollectionView<?> view : parDo.sideInputs()) {
          Step.CreateView producer = producers.get(Planner.viewId(view));
          out.put(Planner.viewId(view), new SideInputData(view, producer.coder(), producer.windowing(), List.of(List.of(ref("s0-t0-a0-w0"), ref("s0-t1-a0-w0")))));
        }
      }
    }
    return out;
  }
}
