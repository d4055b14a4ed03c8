package io.dmerge.runner.execute.process;

import io.dmerge.runner.execute.LiveRead;

/**
 * The worker's answer to a {@link SplitRequest}. It is written before the attempt's result, so the
 * driver knows of a split before it sees the outcome of the attempt that made it.
 *
 * @param split the primary range the attempt keeps and the residual it gave away, or null if
 *     nothing was split (the attempt had ended, or its read declined)
 */
record SplitReply(int id, LiveRead.Split split) {}
