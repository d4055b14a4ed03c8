package io.dmerge.runner.plan;

import io.dmerge.runner.translate.PCollectionInfo;
import io.dmerge.runner.translate.Step;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stages of a job in an order where every stage comes after the stages it reads, and whether
 * the job streams (runs in rounds).
 */
public record StagePlan(List<Stage> stages, Map<Integer, PCollectionInfo> pcollections, boolean streaming) {

  /** The stages that replay a TestStream. */
  public List<Stage> testStreams() {
    return stages.stream().filter(s -> s.root() instanceof Step.TestStreamRead).toList();
  }

  static List<Stage> topologicalOrder(List<Stage> stages) {
    List<Stage> ordered = new ArrayList<>();
    Set<Integer> done = new HashSet<>();
    Deque<Stage> pending = new ArrayDeque<>(stages);
    int stalled = 0;
    while (!pending.isEmpty()) {
      Stage s = pending.poll();
      if (done.containsAll(s.upstream())) {
        ordered.add(s);
        done.add(s.id());
        stalled = 0;
      } else {
        pending.add(s);
        if (++stalled > pending.size()) {
          throw new IllegalStateException("stage dependencies form a cycle: " + pending);
        }
      }
    }
    return ordered;
  }
}
