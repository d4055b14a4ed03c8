package io.dmerge.runner.execute;

import io.dmerge.runner.shuffle.RegionRef;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * A materialized side input: the regions its producers wrote, by the streaming round that wrote
 * them, oldest first (in batch, all in one), and how to decode them.
 */
public record SideInputData(
    PCollectionView<?> view, Coder<?> coder, WindowingStrategy<?, ?> windowing, List<List<RegionRef>> rounds)
    implements Serializable {}
