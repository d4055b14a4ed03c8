package io.dmerge.runner.execute;

import java.io.Serializable;
import java.util.Map;
import org.joda.time.Instant;

/**
 * One round of a streaming job (a TestStream event, or none while the last one's watermarks
 * settle; a call per splittable restriction left): keyed steps advance to this input watermark and
 * processing time and fire the timers that are due, after the round's elements (a GroupByKey also
 * before them).
 *
 * @param sideInputWatermarks by view id, the watermark of each side input the stage reads: a
 *     window of a view is complete once it has passed the window's end
 */
public record StreamRound(int number, Instant inputWatermark, Instant processingTime, Map<String, Instant> sideInputWatermarks)
    implements Serializable {}
