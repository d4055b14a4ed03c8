package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.TaskSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The driver's side of the stage cache: each stage's {@link StageTemplate}, serialized once per job
 * instead of once per task, under an id that workers cache its bytes by.
 */
final class StageTemplates {
  // Unique in the driver JVM, so a pooled worker can never confuse two jobs' templates.
  private static final AtomicLong NEXT_ID = new AtomicLong();

  private final Map<Integer, Serialized> byStage = new HashMap<>();

  record Serialized(long id, StageTemplate template, byte[] bytes) {}

  synchronized Serialized of(TaskSpec task) {
    Serialized s = byStage.get(task.stageId());
    if (s == null || !s.template().shapes(task)) {
      StageTemplate template = StageTemplate.of(task);
      s = new Serialized(NEXT_ID.incrementAndGet(), template, JavaBytes.of(template));
      byStage.put(task.stageId(), s);
    }
    return s;
  }
}
