package io.dmerge.runner.execute;

import io.dmerge.runner.plan.Stage;
import io.dmerge.runner.shuffle.RegionRef;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.construction.SerializablePipelineOptions;

/**
 * Everything a worker needs to run one attempt of one task, self-contained so it can cross a
 * process boundary.
 *
 * @param sideInputs every side input the stage reads, by view id
 * @param partitions partitions of every region the task writes
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
    SerializablePipelineOptions options)
    implements Serializable {

  /** A name unique within the job, used for region ids. */
  public String name() {
    return "s" + stageId + "-t" + index + "-a" + attempt;
  }
}
