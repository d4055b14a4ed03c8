package io.dmerge.runner.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dmerge.runner.translate.PipelineTranslator;
import io.dmerge.runner.translate.Step;
import io.dmerge.runner.translate.UnsupportedTransformException;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

/** How pipelines become stages: fusion, combiner lifting, and where boundaries fall. */
class PlannerTest {
  private final Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DmergeRunner").create());

  private StagePlan plan() {
    return Planner.plan(PipelineTranslator.translate(p));
  }

  private static List<String> kinds(Stage stage) {
    return stage.steps().stream().map(s -> s.getClass().getSimpleName()).collect(Collectors.toList());
  }

  /** Reads a side input for every element. */
  static final class UseSide<T> extends DoFn<Integer, Integer> {
    private final PCollectionView<T> view;

    UseSide(PCollectionView<T> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.sideInput(view).hashCode());
    }
  }

  /** Keeps the last value per key. */
  static final class RememberFn extends DoFn<KV<String, Integer>, Integer> {
    @StateId("seen")
    private final StateSpec<ValueState<Integer>> seen = StateSpecs.value();

    @ProcessElement
    public void process(ProcessContext c, @StateId("seen") ValueState<Integer> state) {
      state.write(c.element().getValue());
    }
  }

  @Test
  void wordCountIsTwoStagesWithALiftedCombine() {
    p.apply(Create.of("a b", "b c"))
        .apply("Split", MapElements.into(TypeDescriptors.strings()).via((String l) -> l.split(" ")[0]))
        .apply(Count.perElement())
        .apply("Format", MapElements.into(TypeDescriptors.strings()).via((KV<String, Long> kv) -> kv.getKey()));
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    Stage map = plan.stages().get(0);
    assertTrue(map.root() instanceof Step.Read);
    assertTrue(kinds(map).contains("CombinePerKey"), "the partial combine writes the shuffle: " + map);
    assertTrue(map.steps().stream().noneMatch(s -> s instanceof Step.GroupByKey), "lifted, so no GroupByKey: " + map);
    Stage reduce = plan.stages().get(1);
    assertTrue(reduce.root() instanceof Step.CombinePerKey);
    assertEquals(List.of(0), List.copyOf(reduce.upstream()));
    assertTrue(reduce.steps().stream().allMatch(s -> s instanceof Step.ParDo), "Format is fused after the merge: " + reduce);
  }

  @Test
  void consecutiveParDosFuseIntoTheSourceStage() {
    p.apply(Create.of(1, 2, 3))
        .apply("A", MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x + 1))
        .apply("B", MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x * 2))
        .apply("C", MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x - 1));
    StagePlan plan = plan();
    assertEquals(1, plan.stages().size());
    assertEquals(3, plan.stages().get(0).steps().stream().filter(s -> s instanceof Step.ParDo).count());
  }

  @Test
  void mergingWindowsAreNotLifted() {
    p.apply(Create.of(KV.of("k", 1)))
        .apply(Window.into(Sessions.withGapDuration(Duration.standardMinutes(1))))
        .apply(Sum.integersPerKey());
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    assertTrue(plan.stages().get(1).root() instanceof Step.GroupByKey, "sessions need the full GroupByKey");
  }

  @Test
  void consumersOfAFlattenRunInEveryProducingStage() {
    PCollection<Integer> a = p.apply("A", Create.of(1));
    PCollection<Integer> b = p.apply("B", Create.of(2));
    PCollectionList.of(a)
        .and(b)
        .apply(Flatten.pCollections())
        .apply("AfterFlatten", MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x));
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    for (Stage s : plan.stages()) {
      assertTrue(s.steps().stream().anyMatch(x -> x.name().startsWith("AfterFlatten/")), "fused into " + s);
    }
  }

  @Test
  void groupByKeyStartsAStageThatWaitsForItsProducers() {
    p.apply(Create.of(KV.of("k", 1))).apply(GroupByKey.create());
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    assertTrue(plan.stages().get(1).root() instanceof Step.GroupByKey);
    assertEquals(List.of(0), List.copyOf(plan.stages().get(1).upstream()));
  }

  @Test
  void sideInputComputedDownstreamGetsARebalance() {
    PCollection<Integer> main = p.apply(Create.of(1, 2, 3));
    PCollectionView<Integer> total = main.apply(Sum.integersGlobally().asSingletonView());
    main.apply("UseTotal", ParDo.of(new UseSide<>(total)).withSideInputs(total));
    StagePlan plan = plan();
    Stage useTotal =
        plan.stages().stream().filter(s -> s.steps().stream().anyMatch(x -> x instanceof Step.ParDo && x.name().startsWith("UseTotal"))).findFirst().get();
    assertTrue(useTotal.root() instanceof Step.Rebalance, "main input re-read after the view is ready: " + useTotal);
    Stage source = plan.stages().get(0);
    assertTrue(source.steps().stream().noneMatch(x -> x instanceof Step.ParDo && x.name().startsWith("UseTotal")));
    // The plan order puts the view's stage before its reader.
    assertTrue(plan.stages().indexOf(useTotal) > plan.stages().indexOf(source));
  }

  @Test
  void statefulParDoIsKeyedBoundary() {
    p.apply(Create.of(KV.of("k", 1)))
        .apply(ParDo.of(new RememberFn()));
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    assertTrue(plan.stages().get(1).root() instanceof Step.KeyedParDo);
  }

  @Test
  void aPrimitiveUnboundedReadFailsAtTranslationNamingTransformAndUrn() {
    Pipeline deprecatedRead =
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DmergeRunner", "--experiments=use_deprecated_read").create());
    deprecatedRead.apply("Events", GenerateSequence.from(0));
    UnsupportedTransformException e =
        assertThrows(UnsupportedTransformException.class, () -> Planner.plan(PipelineTranslator.translate(deprecatedRead)));
    assertTrue(e.getMessage().contains("'Events/"), e.getMessage());
    assertTrue(e.getMessage().contains("URN beam:"), e.getMessage());
    assertTrue(e.getMessage().contains("unbounded PCollection"), e.getMessage());
  }

  @Test
  void anUnboundedReadMakesAStreamingPlanWhoseResidualsLoopBackIntoTheirStage() {
    p.apply("Events", GenerateSequence.from(0)).apply("Use", MapElements.into(TypeDescriptors.longs()).via((Long x) -> x + 1));
    StagePlan plan = plan();
    assertTrue(plan.streaming());
    Stage loop = plan.stages().stream().filter(Stage::iterates).findFirst().orElseThrow();
    Step.Rebalance residuals = (Step.Rebalance) loop.root();
    assertTrue(residuals.residuals());
    // The loop runs the splittable DoFn again, writes its own residuals, and feeds what follows.
    assertTrue(loop.steps().contains(residuals), loop.toString());
    assertTrue(loop.steps().stream().anyMatch(s -> s.name().startsWith("Use/")), loop.toString());
  }

  @Test
  void aProcessingTimeTriggerMakesABoundedPipelineStreamAndAnEventTimeOneDoesNot() {
    p.apply(Create.of(KV.of("k", 1)))
        .apply(
            Window.<KV<String, Integer>>into(FixedWindows.of(Duration.standardMinutes(1)))
                .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(Duration.standardMinutes(1))
                .discardingFiredPanes())
        .apply(GroupByKey.create());
    assertFalse(plan().streaming(), "event-time panes of a bounded input all fire once the input is in");

    Pipeline early = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DmergeRunner").create());
    early
        .apply(Create.of(KV.of("k", 1)))
        .apply(
            Window.<KV<String, Integer>>configure()
                .triggering(
                    AfterWatermark.pastEndOfWindow().withEarlyFirings(AfterProcessingTime.pastFirstElementInPane()))
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes())
        .apply(GroupByKey.create());
    assertTrue(
        Planner.plan(PipelineTranslator.translate(early)).streaming(),
        "a processing-time pane may fire before its window's input is all in");
  }

  @Test
  void aTestStreamMakesAStreamingPlanWhoseSideInputReadersWaitInARebalance() {
    PCollectionView<List<String>> view = p.apply("Side", Create.of("s")).apply(View.asList());
    p.apply("Events", TestStream.create(VarIntCoder.of()).addElements(1).advanceWatermarkToInfinity())
        .apply("Use", ParDo.of(new UseSide<>(view)).withSideInputs(view));
    StagePlan plan = plan();
    assertEquals(List.of("Events"), plan.testStreams().stream().map(s -> s.root().name()).toList());
    Step.Rebalance wait =
        plan.stages().stream().map(Stage::root).filter(r -> r instanceof Step.Rebalance).map(r -> (Step.Rebalance) r)
            .findFirst().orElseThrow();
    assertEquals(List.of(view), wait.waitFor());
    assertTrue(plan.stages().stream().anyMatch(s -> s.root() == wait && kinds(s).contains("ParDo")));
  }

  @Test
  void sideInputViewMaterializesInItsProducerStage() {
    PCollection<String> side = p.apply("Side", Create.of("s"));
    PCollectionView<List<String>> view = side.apply(View.asList());
    p.apply("Main", Create.of(1))
        .apply("Use", ParDo.of(new UseSide<>(view)).withSideInputs(view));
    StagePlan plan = plan();
    assertEquals(2, plan.stages().size());
    Stage sideStage = plan.stages().stream().filter(s -> kinds(s).contains("CreateView")).findFirst().get();
    Stage mainStage = plan.stages().stream().filter(s -> s != sideStage).findFirst().get();
    assertTrue(mainStage.upstream().contains(sideStage.id()));
  }
}
