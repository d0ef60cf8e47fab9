// A node:test reporter that writes one line per failed test, at the end of the
// run: file, the test's full name (suites included) and the first line of why.
// scripts/run-tests.mjs prints it after the spec reporter's stream, so a red
// run names its failures in one place however long the log above it.
import { relative } from 'node:path';

export default async function* failureSummary(source) {
  const names = []; // the name of the test running at each nesting level
  const failures = [];
  // A test's own `file` names where `it` was called, which under node-test.mjs is that
  // module; the runner dequeues each file (as a test named after it) before its tests run.
  let file = '?';
  for await (const event of source) {
    if (event.type === 'test:dequeue' && event.data.name === event.data.file) file = event.data.file;
    if (event.type === 'test:start') names[event.data.nesting] = event.data.name;
    if (event.type !== 'test:fail') continue;
    const { data } = event;
    const error = data.details?.error;
    // A suite that failed only because tests in it failed adds nothing: those are listed.
    if (error?.failureType === 'subtestsFailed') continue;
    const path = [...names.slice(0, data.nesting), data.name].join(' > ');
    const cause = String(error?.cause?.message ?? error?.message ?? error ?? '').split('\n')[0];
    failures.push(`${relative(process.cwd(), file)}: ${path}${cause ? ` (${cause.slice(0, 200)})` : ''}`);
  }
  for (const failure of failures) yield `${failure}\n`;
}
