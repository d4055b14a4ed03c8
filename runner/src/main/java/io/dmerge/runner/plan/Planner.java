package io.dmerge.runner.plan;

import io.dmerge.runner.translate.SplittableProcess;
import io.dmerge.runner.translate.PCollectionInfo;
import io.dmerge.runner.translate.Step;
import io.dmerge.runner.translate.TranslatedPipeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Fuses translated steps into stages. An element-wise step joins every stage that produces its
 * input, so a Flatten of two stages' outputs runs its consumers in both (no copy, each element
 * still processed once). A {@link Step.Boundary} ends its producers' stages and starts a new one.
 * A ParDo whose side input is computed downstream of its own stage would deadlock; it gets a
 * {@link Step.Rebalance} in front and runs in a stage of its own, as does every ParDo with side
 * inputs in a streaming job. The residuals of a
 * splittable DoFn loop back into a stage that runs it again ({@link #loopResiduals}).
 */
public final class Planner {
  private final List<Stage> stages = new ArrayList<>();
  private final Map<Integer, Set<Stage>> stagesOf = new HashMap<>();
  private final Map<String, Set<Stage>> viewProducers = new HashMap<>();
  private final Map<Integer, PCollectionInfo> pcollections;
  private final boolean streaming;

  private Planner(TranslatedPipeline pipeline) {
    this.pcollections = new LinkedHashMap<>(pipeline.pcollections());
    this.streaming = pipeline.streaming();
  }

  public static StagePlan plan(TranslatedPipeline pipeline) {
    Planner planner = new Planner(pipeline);
    pipeline.steps().forEach(planner::place);
    planner.stages.forEach(s -> s.nameOutputs(planner.pcollections));
    return new StagePlan(StagePlan.topologicalOrder(planner.stages), Map.copyOf(planner.pcollections), pipeline.streaming());
  }

  private void place(Step step) {
    if (step instanceof Step.Root) {
      Stage stage = newStage(step);
      produce(step, Set.of(stage));
    } else if (step instanceof Step.CreateView) {
      Step.CreateView view = (Step.CreateView) step;
      Set<Stage> producers = stagesOf(view.input());
      producers.forEach(s -> s.steps().add(view));
      viewProducers.put(viewId(view.view()), producers);
    } else if (step instanceof Step.Boundary) {
      Step.Boundary boundary = (Step.Boundary) step;
      stagesOf(boundary.input()).forEach(s -> s.steps().add(boundary));
      Stage consumer = newStage(boundary);
      consumer.upstream().addAll(ids(stagesOf(boundary.input())));
      if (boundary instanceof Step.KeyedParDo) {
        consumer.upstream().addAll(ids(viewStages(((Step.KeyedParDo) boundary).parDo())));
      }
      produce(boundary, Set.of(consumer));
    } else if (step instanceof Step.Flatten) {
      Set<Stage> union = new LinkedHashSet<>();
      step.inputs().forEach(in -> union.addAll(stagesOf(in)));
      union.forEach(s -> s.steps().add(step));
      produce(step, union);
    } else if (step instanceof Step.ParDo && !((Step.ParDo) step).sideInputs().isEmpty()) {
      loopResiduals(placeWithSideInputs((Step.ParDo) step));
    } else if (step instanceof Step.ParDo) {
      Set<Stage> targets = stagesOf(step.inputs().get(0));
      targets.forEach(s -> s.steps().add(step));
      produce(step, targets);
      loopResiduals((Step.ParDo) step);
    } else {
      Set<Stage> targets = stagesOf(step.inputs().get(0));
      targets.forEach(s -> s.steps().add(step));
      produce(step, targets);
    }
  }

  /**
   * A splittable DoFn may defer a residual restriction to a later task ({@link SplittableProcess}). Its residual output goes to a {@link Step.Rebalance} whose consumer
   * stage runs the same step again, writes its own residuals back to that boundary, and runs
   * everything downstream of the step, as the producing stage does. The scheduler runs such a
   * stage again as long as the previous run left residuals ({@link Stage#iterates()}).
   */
  private void loopResiduals(Step.ParDo parDo) {
    if (!(parDo.fn() instanceof SplittableProcess.ProcessFn)) {
      return;
    }
    int residuals = parDo.outputs().get(((SplittableProcess.ProcessFn<?, ?, ?, ?, ?>) parDo.fn()).residualTag());
    PCollectionInfo info = pcollections.get(residuals);
    int resumed = newPCollection(info, ".resumed");
    Step.Rebalance checkpoint =
        new Step.Rebalance(
            parDo.name() + "/DmergeResiduals", residuals, info.coder(), info.windowing(),
            Map.of(new TupleTag<>("resumed"), resumed), List.of(), true);
    place(checkpoint);
    Stage loop = stagesOf(resumed).iterator().next();
    loop.upstream().addAll(ids(viewStages(parDo)));
    loop.steps().add(withInput(parDo, resumed));
    loop.steps().add(checkpoint);
    for (Integer pc : parDo.outputs().values()) {
      stagesOf(pc).add(loop);
    }
  }

  private Step.ParDo placeWithSideInputs(Step.ParDo parDo) {
    Set<Stage> views = viewStages(parDo);
    Set<Stage> targets = stagesOf(parDo.input());
    boolean cycle = targets.stream().anyMatch(t -> views.stream().anyMatch(v -> v == t || dependsOn(v, t)));
    // Streaming, the ParDo's elements may have to wait rounds for their side inputs: in a rebalance.
    if (cycle || streaming) {
      PCollectionInfo input = pcollections.get(parDo.input());
      int rebalanced = newPCollection(input, ".rebalanced");
      Step.Rebalance rebalance =
          new Step.Rebalance(
              parDo.name() + "/DmergeRebalance", parDo.input(), input.coder(), input.windowing(),
              Map.of(new TupleTag<>("rebalanced"), rebalanced), streaming ? parDo.sideInputs() : List.of(), false);
      place(rebalance);
      parDo = withInput(parDo, rebalanced);
      targets = stagesOf(rebalanced);
    }
    for (Stage t : targets) {
      t.upstream().addAll(ids(views));
      t.steps().add(parDo);
    }
    produce(parDo, targets);
    return parDo;
  }

  private Set<Stage> viewStages(Step.ParDo parDo) {
    Set<Stage> out = new LinkedHashSet<>();
    for (PCollectionView<?> view : parDo.sideInputs()) {
      Set<Stage> producers = viewProducers.get(viewId(view));
      if (producers == null) {
        throw new IllegalStateException("side input " + view + " of " + parDo.name() + " is not materialized by any CreateView");
      }
      out.addAll(producers);
    }
    return out;
  }

  private boolean dependsOn(Stage from, Stage on) {
    Set<Integer> seen = new HashSet<>();
    List<Integer> frontier = new ArrayList<>(from.upstream());
    while (!frontier.isEmpty()) {
      int id = frontier.remove(frontier.size() - 1);
      if (id == on.id()) {
        return true;
      }
      if (seen.add(id)) {
        frontier.addAll(stages.get(id).upstream());
      }
    }
    return false;
  }

  private static Step.ParDo withInput(Step.ParDo p, int input) {
    return new Step.ParDo(
        p.name(), p.fn(), input, p.inputCoder(), p.mainOutput(), p.additionalOutputs(), p.outputs(), p.outputCoders(),
        p.windowing(), p.sideInputs(), p.schemaInformation(), p.sideInputMapping());
  }

  private int newPCollection(PCollectionInfo like, String suffix) {
    int id = pcollections.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    pcollections.put(id, new PCollectionInfo(id, like.name() + suffix, like.coder(), like.windowing()));
    return id;
  }

  private Stage newStage(Step root) {
    Stage stage = new Stage(stages.size(), root);
    stages.add(stage);
    return stage;
  }

  private void produce(Step step, Set<Stage> in) {
    for (Integer pc : step.outputs().values()) {
      stagesOf.put(pc, new LinkedHashSet<>(in));
    }
  }

  private Set<Stage> stagesOf(int pc) {
    Set<Stage> s = stagesOf.get(pc);
    if (s == null) {
      throw new IllegalStateException("PCollection " + pcollections.get(pc) + " is consumed before it is produced");
    }
    return s;
  }

  private static List<Integer> ids(Set<Stage> stages) {
    List<Integer> out = new ArrayList<>();
    stages.forEach(s -> out.add(s.id()));
    return out;
  }

  /** Views are identified by their tag, which survives serialization. */
  public static String viewId(PCollectionView<?> view) {
    return view.getTagInternal().getId();
  }
}
