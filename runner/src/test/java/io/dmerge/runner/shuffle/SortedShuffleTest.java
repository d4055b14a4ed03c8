package io.dmerge.runner.shuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GroupByKey, Combine.perKey and a stateful ParDo over sorted shuffles (merged in key order) and
 * unsorted ones (grouped in a hash table), on both executors: the same results either way.
 */
class SortedShuffleTest {
  @TempDir Path regions;
  @TempDir Path spill;

  /** Keys that are empty, prefixes of each other, and above ASCII; many values each, over several producers. */
  private static List<KV<String, Integer>> input() {
    String[] keys = {"", "a", "ab", "abc", "b", "\u00e9", "\u00e9t\u00e9", "z"};
    List<KV<String, Integer>> out = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      out.add(KV.of(keys[i % keys.length] + (i % 3 == 0 ? "" : Integer.toString(i % 7)), i));
    }
    return out;
  }

  private static Map<String, Integer> sums() {
    Map<String, Integer> sums = new TreeMap<>();
    input().forEach(kv -> sums.merge(kv.getKey(), kv.getValue(), Integer::sum));
    return sums;
  }

  private static List<KV<String, Integer>> expected() {
    List<KV<String, Integer>> out = new ArrayList<>();
    sums().forEach((k, v) -> out.add(KV.of(k, v)));
    return out;
  }

  /** Sums each key's values in state and emits the sum when the window ends. */
  static final class StatefulSumFn extends DoFn<KV<String, Integer>, KV<String, Integer>> {
    @StateId("sum")
    private final StateSpec<ValueState<Integer>> sumSpec = StateSpecs.value(VarIntCoder.of());

    @StateId("key")
    private final StateSpec<ValueState<String>> keySpec = StateSpecs.value(StringUtf8Coder.of());

    @TimerId("end")
    private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    @ProcessElement
    public void process(
        @Element KV<String, Integer> element,
        @StateId("sum") ValueState<Integer> sum,
        @StateId("key") ValueState<String> key,
        @TimerId("end") Timer end,
        BoundedWindow window) {
      Integer current = sum.read();
      sum.write((current == null ? 0 : current) + element.getValue());
      key.write(element.getKey());
      end.set(window.maxTimestamp());
    }

    @OnTimer("end")
    public void onEnd(
        @StateId("sum") ValueState<Integer> sum, @StateId("key") ValueState<String> key, OutputReceiver<KV<String, Integer>> out) {
      out.output(KV.of(key.read(), sum.read()));
    }
  }

  private Pipeline pipeline(String executor, int parallelism, boolean sorted) {
    return Pipeline.create(
        PipelineOptionsFactory.fromArgs(
                "--runner=DmergeRunner", "--executor=" + executor, "--parallelism=" + parallelism, "--sortedShuffle=" + sorted,
                "--regionDirectory=" + regions, "--spillDirectory=" + spill)
            .create());
  }

  @ParameterizedTest
  @CsvSource({"inprocess, true", "process, true", "inprocess, false", "process, false"})
  void groupCombineAndStatefulParDo(String executor, boolean sorted) {
    Pipeline p = pipeline(executor, 3, sorted);
    PCollection<KV<String, Integer>> input =
        p.apply(Create.of(input()).withCoder(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of())));

    PCollection<KV<String, Integer>> grouped =
        input
            .apply(GroupByKey.create())
            .apply(
                "SumGroups",
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.integers()))
                    .via(kv -> {
                      int sum = 0;
                      for (int v : kv.getValue()) {
                        sum += v;
                      }
                      return KV.of(kv.getKey(), sum);
                    }));
    PAssert.that(grouped).containsInAnyOrder(expected());
    PAssert.that(input.apply(Sum.integersPerKey())).containsInAnyOrder(expected());
    PAssert.that(input.apply(ParDo.of(new StatefulSumFn()))).containsInAnyOrder(expected());

    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  /** Emits, once per bundle, the keys it saw in the order it saw them. */
  static final class KeySequenceFn extends DoFn<KV<String, Iterable<Integer>>, List<String>> {
    private transient List<String> keys;

    @StartBundle
    public void start() {
      keys = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<Integer>> element) {
      keys.add(element.getKey());
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      c.output(keys, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }
  }

  /** The option really reaches the tasks: one partition's groups come out in encoded-key order. */
  @ParameterizedTest
  @ValueSource(strings = {"inprocess", "process"})
  void groupsComeInEncodedKeyOrder(String executor) throws IOException {
    List<byte[]> encoded = new ArrayList<>();
    for (String key : sums().keySet()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      StringUtf8Coder.of().encode(key, bytes); // as KeyBytes encodes keys: nested, length first
      encoded.add(bytes.toByteArray());
    }
    encoded.sort(Arrays::compareUnsigned);
    List<String> expected = new ArrayList<>();
    for (byte[] key : encoded) {
      expected.add(StringUtf8Coder.of().decode(new ByteArrayInputStream(key)));
    }

    Pipeline p = pipeline(executor, 1, true);
    PCollection<List<String>> sequences =
        p.apply(Create.of(input()).withCoder(KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of())))
            .apply(GroupByKey.create())
            .apply(ParDo.of(new KeySequenceFn()))
            .setCoder(ListCoder.of(StringUtf8Coder.of()));
    PAssert.that(sequences).containsInAnyOrder(List.of(expected));
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }
}
