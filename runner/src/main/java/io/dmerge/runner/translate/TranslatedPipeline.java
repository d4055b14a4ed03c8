package io.dmerge.runner.translate;

import java.util.List;
import java.util.Map;

/**
 * A Beam pipeline as the runner sees it: primitive steps in topological order, the PCollections
 * between them, and whether it streams (reads a TestStream).
 */
public record TranslatedPipeline(List<Step> steps, Map<Integer, PCollectionInfo> pcollections, boolean streaming) {}
