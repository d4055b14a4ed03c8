package io.dmerge.runner.execute.process;

/**
 * The control message that ends a worker's part in its job: what the job's streaming rounds kept
 * (set-up DoFns above all, whose {@code @Teardown} runs now) goes. The worker stays for the next job.
 */
record JobEnd() {}
