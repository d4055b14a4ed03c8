package io.dmerge.runner.plan;

import io.dmerge.runner.translate.PCollectionInfo;
import io.dmerge.runner.translate.Step;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fused steps that run together in one task per input split or partition. The root produces the
 * elements (a source, or the read side of a {@link Step.Boundary}); the steps consume them in
 * memory, without encoding, and any {@link Step.Boundary} among them writes Dmerge regions.
 */
public final class Stage implements Serializable {
  private final int id;
  private final Step root;
  private final List<Step> steps = new ArrayList<>();
  private final Set<Integer> upstream = new LinkedHashSet<>();
  private final Map<Integer, String> outputNames = new HashMap<>();

  Stage(int id, Step root) {
    this.id = id;
    this.root = root;
  }

  public int id() {
    return id;
  }

  public Step root() {
    return root;
  }

  /** Fused steps in topological order; {@link Step.Boundary} steps here are region writers. */
  public List<Step> steps() {
    return steps;
  }

  /** Stages whose regions this stage reads. */
  public Set<Integer> upstream() {
    return upstream;
  }

  /** The pipeline's name of a PCollection that the root or a step of this stage produces. */
  public String outputName(int pcollection) {
    return outputNames.get(pcollection);
  }

  /** Records the names of the PCollections this stage produces, once its steps are final. */
  void nameOutputs(Map<Integer, PCollectionInfo> pcollections) {
    root.outputs().values().forEach(pc -> outputNames.put(pc, pcollections.get(pc).name()));
    steps.forEach(s -> s.outputs().values().forEach(pc -> outputNames.put(pc, pcollections.get(pc).name())));
  }

  /** Boundaries this stage writes regions for. */
  public List<Step.Boundary> writes() {
    List<Step.Boundary> out = new ArrayList<>();
    for (Step s : steps) {
      if (s instanceof Step.Boundary) {
        out.add((Step.Boundary) s);
      }
    }
    return out;
  }

  /**
   * Whether this stage writes the boundary it reads: it runs again on what its previous run wrote
   * there, until a run writes nothing (the residuals of a bounded splittable DoFn).
   */
  public boolean iterates() {
    return steps.contains(root);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Stage ").append(id).append(" [").append(root.name()).append("]");
    steps.forEach(s -> sb.append(" -> ").append(s instanceof Step.Boundary ? "write(" + s.name() + ")" : s.name()));
    return sb.toString();
  }
}
