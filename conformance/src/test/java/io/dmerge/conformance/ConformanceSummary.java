package io.dmerge.conformance;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/** Prints the suite's closing line, "N passed, M failed, K skipped", counting test methods only. */
public final class ConformanceSummary implements TestExecutionListener {
  private final AtomicInteger passed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger skipped = new AtomicInteger();

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    if (test.isTest()) {
      skipped.incrementAndGet();
    }
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (!test.isTest()) {
      return;
    }
    if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
      passed.incrementAndGet();
    } else if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
      skipped.incrementAndGet();
    } else {
      failed.incrementAndGet();
      System.out.println("FAILED: " + test.getDisplayName() + " " + test.getUniqueId());
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    String label = System.getProperty("conformance.label", "conformance");
    System.out.println(System.getProperty("conformance.suite", "Beam ValidatesRunner") + " (" + label + ")");
    System.out.println("Conformance: " + passed.get() + " passed, " + failed.get() + " failed, " + skipped.get() + " skipped");
  }
}
