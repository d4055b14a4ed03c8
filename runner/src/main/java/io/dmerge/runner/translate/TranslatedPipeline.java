package io.dmerge.runner.translate;

import java.util.List;
import java.util.Map;

/**
 * A Beam pipeline as the runner sees it: primitive steps in topological order, and the
 * PCollections between them.
 */
public record TranslatedPipeline(List<Step> steps, Map<Integer, PCollectionInfo> pcollections) {}
