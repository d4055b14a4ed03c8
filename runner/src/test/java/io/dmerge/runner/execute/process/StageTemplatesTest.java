package io.dmerge.runner.execute.process;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.dmerge.runner.execute.SideInputData;
import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.plan.Planner;
import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.shuffle.RegionRef;
import io.dmerge.runner.translate.PipelineTranslator;
import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.RegionMeta;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** A stage's template is serialized again only when what its tasks share has changed. */
class StageTemplatesTest {
  private static final RegionRef REF = new RegionRef(new RegionMeta("node-1", "s0-r0-t0-a0-w0", 64L), AccessKey.random());

  /** Reads its side input for every element. */
  static final class UseSide extends DoFn<Integer, Integer> {
    private final PCollectionView<List<Integer>> side;

    UseSide(PCollectionView<List<Integer>> side) {
      this.side = side;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.sideInput(side).size());
    }
  }

  @Test
  void aRoundWhoseSideInputsGotNoNewRegionsReusesTheTemplateOfTheRoundBefore() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DmergeRunner").create());
    PCollectionView<List<Integer>> view = p.apply("Side", Create.of(1)).apply(View.asList());
    p.apply("Main", Create.of(1, 2)).apply(ParDo.of(new UseSide(view)).withSideInputs(view));
    Stage stage = Planner.plan(PipelineTranslator.translate(p)).stages().get(0);
    SerializablePipelineOptions options = new SerializablePipelineOptions(p.getOptions());
    StageTemplates templates = new StageTemplates();
    // The scheduler builds these maps anew for every round.
    StageTemplates.Serialized first = templates.of(task(stage, options, Map.of("v", side(view, List.of())), 0));
    StageTemplates.Serialized same = templates.of(task(stage, options, Map.of("v", side(view, List.of())), 1));
    StageTemplates.Serialized grown = templates.of(task(stage, options, Map.of("v", side(view, List.of(List.of(REF)))), 2));
    assertSame(first, same);
    assertNotEquals(first.id(), grown.id());
  }

  private static SideInputData side(PCollectionView<?> view, List<List<RegionRef>> rounds) {
    return new SideInputData(view, VarIntCoder.of(), WindowingStrategy.globalDefault(), rounds);
  }

  private static TaskSpec task(Stage stage, SerializablePipelineOptions options, Map<String, SideInputData> sides, int round) {
    return new TaskSpec(
        stage.id(), 0, 0, stage, new TaskInput.Partition(0, List.of()), sides, 2, 1 << 16, options,
        new StreamRound(round, new Instant(0), new Instant(0), Map.of()));
  }
}
