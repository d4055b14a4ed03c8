package io.dmerge.shuffle;

import java.io.Serializable;

/**
 * What {@code register} returns: where a region lives and how large it is. A consumer needs the
 * meta plus the region's {@link AccessKey} to rmap it.
 *
 * @param node the node that holds the region (see {@link Dmerge#node()})
 * @param id the region's id, unique within its job
 * @param size bytes in the region
 */
public record RegionMeta(String node, String id, long size) implements Serializable {}
