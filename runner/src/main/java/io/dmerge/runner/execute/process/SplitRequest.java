package io.dmerge.runner.execute.process;

/**
 * The driver asks the worker to split the read of the attempt it is running, if that is still
 * {@code task} (a {@code TaskSpec} name): dynamic work rebalancing across processes.
 *
 * @param id matches the {@link SplitReply}
 */
record SplitRequest(int id, String task) {}
