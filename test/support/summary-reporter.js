/**
 * Ends every Jest run with one line `N passed, N failed` (CI reads it), counting tests, not files.
 * A suite that fails to load counts as one failed test, so a broken file cannot hide.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed` +
      (results.numPendingTests ? `, ${results.numPendingTests} skipped` : '') + '\n');
  }
}
module.exports = SummaryReporter;
