package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.SideInputData;
import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskSpec;
import io.dmerge.runner.plan.Stage;
import java.io.Serializable;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;

/**
 * The part of a {@link TaskSpec} that every task of a stage shares: the stage's steps (DoFns,
 * coders, windowing), its side inputs and the job's options. A worker receives it once per stage
 * (again after a streaming round that gave the side inputs new regions), as Java-serialized
 * bytes, and deserializes it again for every task, so each task gets fresh
 * DoFn instances, as it would from a spec of its own.
 */
record StageTemplate(
    int stageId,
    Stage stage,
    Map<String, SideInputData> sideInputs,
    int partitions,
    int blockBytes,
    SerializablePipelineOptions options)
    implements Serializable {

  static StageTemplate of(TaskSpec task) {
    return new StageTemplate(
        task.stageId(), task.stage(), task.sideInputs(), task.partitions(), task.blockBytes(), task.options());
  }

  /**
   * Whether {@code task} is a task of exactly this template: the same objects, but for side inputs,
   * which a streaming job's scheduler builds anew every round and which only need to be equal (the
   * same views and regions). So a stage's template is serialized and sent again only when a round
   * brought its side inputs new regions, not every round.
   */
  boolean shapes(TaskSpec task) {
    return task.stageId() == stageId
        && task.stage() == stage
        && task.sideInputs().equals(sideInputs)
        && task.partitions() == partitions
        && task.blockBytes() == blockBytes
        && task.options() == options;
  }

  TaskSpec task(int index, int attempt, TaskInput input, StreamRound round) {
    return new TaskSpec(stageId, index, attempt, stage, input, sideInputs, partitions, blockBytes, options, round);
  }
}
