package io.dmerge.runner.execute;

import io.dmerge.runner.translate.Step;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFn.BundleFinalizer;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.TupleTag;

/**
 * One task's instance of a ParDo's DoFn with its lifecycle: set up once, runners created on it
 * (per key for stateful DoFns), torn down on close even after a failure. In a streaming job a task
 * that succeeded leaves its set-up DoFn to the next round's task of its partition instead ({@link
 * StreamingStore.DoFnSlot}); Beam lets a DoFn instance process many bundles, one at a time.
 */
final class DoFnInstance implements AutoCloseable {
  private final Step.ParDo step;
  private final PipelineOptions options;
  private final SideInputReader sideInputs;
  private final OutputRouter outputs;
  private final BundleFinalizer finalizer;
  private final StreamingStore.DoFnSlot slot;
  private DoFn<Object, Object> fn;
  private boolean setUp;
  private boolean keep;

  /** @param slot where the DoFn is kept between rounds of a streaming job, or null (batch) */
  DoFnInstance(
      Step.ParDo step,
      PipelineOptions options,
      SideInputReader sideInputs,
      Map<TupleTag<?>, ElementCount> outputs,
      BundleFinalizer finalizer,
      StreamingStore.DoFnSlot slot) {
    this.step = step;
    this.options = options;
    this.sideInputs = sideInputs;
    this.outputs = new OutputRouter(step.mainOutput(), outputs);
    this.finalizer = finalizer;
    this.slot = slot;
  }

  /** Collects the callbacks DoFns register to run once the task's output is committed. */
  BundleFinalizer finalizer() {
    return finalizer;
  }

  Step.ParDo step() {
    return step;
  }

  /**
   * This operator's own copy of the DoFn. Copied per step, not per stage, because expansions such
   * as splittable ParDo share one user DoFn between several steps that must each set it up.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  DoFn<Object, Object> fn() {
    if (fn == null) {
      fn = slot == null ? null : slot.take();
      setUp = fn != null;
      if (fn == null) {
        fn = (DoFn) SerializableUtils.clone(step.fn());
      }
    }
    return fn;
  }

  void setup() {
    DoFn<Object, Object> copy = fn(); // first: a DoFn kept from the previous round is set up already
    if (!setUp) {
      DoFnInvokers.tryInvokeSetupFor(copy, options);
      setUp = true;
    }
  }

  /** The task succeeded: on close, the set-up DoFn goes to its slot for the next round, if it has one. */
  void keepForNextRound() {
    keep = slot != null;
  }

  /** A runner for a DoFn without state or timers: the lean {@link ElementDoFnRunner} where it can be. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  DoFnRunner<Object, Object> statelessRunner(StepContext context) {
    return ElementDoFnRunner.wrapIfEligible(
        runner(context), !step.sideInputs().isEmpty(), options, outputs, (TupleTag) step.mainOutput());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  DoFnRunner<Object, Object> runner(StepContext context) {
    return DoFnRunners.simpleRunner(
        options,
        fn(),
        sideInputs,
        outputs,
        (TupleTag) step.mainOutput(),
        (List) step.additionalOutputs(),
        context,
        (Coder) step.inputCoder(),
        (Map) step.outputCoders(),
        step.windowing(),
        step.schemaInformation(),
        step.sideInputMapping());
  }

  @Override
  public void close() {
    if (!setUp) {
      return;
    }
    setUp = false;
    if (keep) {
      slot.keep(fn);
    } else {
      DoFnInvokers.invokerFor(fn).invokeTeardown();
    }
  }
}
