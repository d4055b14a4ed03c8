package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.StreamRound;
import io.dmerge.runner.execute.TaskInput;
import io.dmerge.runner.execute.TaskSpec;
import java.io.IOException;

/**
 * One task as it crosses the control channel: its own part, plus its stage's template bytes the
 * first time this worker sees that stage in the current job.
 *
 * @param template the Java-serialized {@link StageTemplate}, or null when the worker has it cached
 * @param round the streaming round of the task, or null in batch
 */
record TaskEnvelope(long templateId, byte[] template, int index, int attempt, TaskInput input, StreamRound round) {

  static TaskEnvelope of(TaskSpec task, StageTemplates.Serialized template, boolean workerHasIt) {
    return new TaskEnvelope(
        template.id(), workerHasIt ? null : template.bytes(), task.index(), task.attempt(), task.input(), task.round());
  }

  /** The full spec, with freshly deserialized user objects from the cached template bytes. */
  TaskSpec spec(byte[] templateBytes) throws IOException, ClassNotFoundException {
    return ((StageTemplate) JavaBytes.read(templateBytes)).task(index, attempt, input, round);
  }
}
