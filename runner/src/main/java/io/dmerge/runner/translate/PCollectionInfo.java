package io.dmerge.runner.translate;

import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.values.WindowingStrategy;

/** What the runner keeps of a PCollection: its coder and windowing, by a dense id. */
public record PCollectionInfo(int id, String name, Coder<?> coder, WindowingStrategy<?, ?> windowing)
    implements Serializable {}
