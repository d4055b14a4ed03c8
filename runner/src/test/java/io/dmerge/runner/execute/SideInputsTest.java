package io.dmerge.runner.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.Join;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Side inputs read back from regions, as the DoFns that look them up see them. */
class SideInputsTest {
  private static final Schema LEFT = Schema.builder().addStringField("user").addInt32Field("count").build();
  private static final Schema RIGHT =
      Schema.builder().addNullableField("user2", Schema.FieldType.STRING).addNullableField("count2", Schema.FieldType.INT32).build();

  @TempDir Path regions;
  @TempDir Path spill;

  private Pipeline pipeline() {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs("--runner=DmergeRunner", "--regionDirectory=" + regions, "--spillDirectory=" + spill)
            .create());
  }

  /** Looks each word up as a one-field row of {@code schema}. */
  static class LookUp extends DoFn<String, String> {
    private final PCollectionView<Map<Row, Iterable<String>>> view;
    private final Schema schema;

    LookUp(PCollectionView<Map<Row, Iterable<String>>> view, Schema schema) {
      this.view = view;
      this.schema = schema;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Row key = Row.withSchema(schema).addValue(c.element()).build();
      c.output(c.element() + "=" + String.join(",", c.sideInput(view).getOrDefault(key, List.of())));
    }
  }

  @Test
  void aMultimapMatchesKeysByTheirEncodingNotByEquals() {
    // Rows of two schemas whose fields encode alike are not equal(): the lookup must still find
    // the key, as it does in Beam's portable runners, which compare encoded keys.
    Schema key = Schema.builder().addNullableField("k", Schema.FieldType.STRING).build();
    Schema sameEncoding = Schema.builder().addNullableField("other", Schema.FieldType.STRING).build();
    Pipeline p = pipeline();
    PCollectionView<Map<Row, Iterable<String>>> view =
        p.apply("Side", Create.of(KV.of(Row.withSchema(key).addValue("a").build(), "x"), KV.of(Row.withSchema(key).addValue("a").build(), "y"))
                .withCoder(KvCoder.of(RowCoder.of(key), StringUtf8Coder.of())))
            .apply(View.asMultimap());
    PCollection<String> found =
        p.apply("Main", Create.of("a", "b")).apply(ParDo.of(new LookUp(view, sameEncoding)).withSideInputs(view));
    PAssert.that(found).containsInAnyOrder("a=x,y", "b=");
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aBroadcastSchemaJoinOnKeysOfDifferentNullabilityFindsItsMatches() {
    Pipeline p = pipeline();
    PCollection<Row> left =
        p.apply("Left", Create.of(Row.withSchema(LEFT).addValues("u1", 1).build(), Row.withSchema(LEFT).addValues("u2", 2).build()).withRowSchema(LEFT));
    PCollection<Row> right =
        p.apply("Right", Create.of(Row.withSchema(RIGHT).addValues("u1", 9).build(), Row.withSchema(RIGHT).addValues("u3", 7).build()).withRowSchema(RIGHT));
    PCollection<String> joined =
        left.apply(Join.<Row, Row>innerBroadcastJoin(right).on(Join.FieldsEqual.left("user").right("user2")))
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via(r -> r.getRow("lhs").getString("user") + ":" + r.getRow("lhs").getInt32("count") + "+" + r.getRow("rhs").getInt32("count2")));
    PAssert.that(joined).containsInAnyOrder("u1:1+9");
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void aRoundIsReplacedOnlyWhenEveryWindowItWroteFiredAgainLater() {
    IntervalWindow a = new IntervalWindow(new Instant(0), new Instant(10));
    IntervalWindow b = new IntervalWindow(new Instant(10), new Instant(20));
    // Round 0 wrote a and b; round 1 fired a; round 2 wrote b without a firing; round 3 fired b.
    List<Set<BoundedWindow>> windows = List.of(Set.of(a, b), Set.of(a), Set.of(b), Set.of(b));
    Map<BoundedWindow, Integer> lastFiring = Map.of(a, 1, b, 3);
    assertEquals(List.of(0, 2), SideInputs.replacedRounds(windows, lastFiring));
    // Before b fires again, round 0 still shows b, and round 1 is a's latest firing.
    assertEquals(List.of(), SideInputs.replacedRounds(windows.subList(0, 3), Map.of(a, 1)));
  }
}
