package io.dmerge.runner.execute;

import io.dmerge.runner.plan.Stage;
import java.io.Serializable;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;

/**
 * Everything a worker needs to run one attempt of one task, self-contained so it can cross a
 * process boundary.
 *
 * @param sideInputs every side input the stage reads, by view id
 * @param partitions partitions of every region the task writes
 * @param round the streaming round the task belongs to; null in a batch job
 */
public record TaskSpec(
    int stageId,
    int index,
    int attempt,
    Stage stage,
    TaskInput input,
    Map<String, SideInputData> sideInputs,
    int partitions,
    int blockBytes,
    SerializablePipelineOptions options,
    StreamRound round)
    implements Serializable {

  /** A task of a batch job. */
  public TaskSpec(
      int stageId, int index, int attempt, Stage stage, TaskInput input, Map<String, SideInputData> sideInputs, int partitions,
      int blockBytes, SerializablePipelineOptions options) {
    this(stageId, index, attempt, stage, input, sideInputs, partitions, blockBytes, options, null);
  }

  /** A name unique within the job, used for region ids. */
  public String name() {
    return "s" + stageId + (round == null ? "" : "-r" + round.number()) + "-t" + index + "-a" + attempt;
  }
}
