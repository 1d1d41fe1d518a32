/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after jest's own summary,
 * so that CI logs and scripts can read the outcome without parsing jest's formatting.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
