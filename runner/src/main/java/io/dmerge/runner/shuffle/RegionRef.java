package io.dmerge.runner.shuffle;

import io.dmerge.shuffle.AccessKey;
import io.dmerge.shuffle.RegionMeta;
import java.io.Serializable;

/** A registered region and the key that maps it: what a producer task hands its consumers. */
public record RegionRef(RegionMeta meta, AccessKey key) implements Serializable {}
