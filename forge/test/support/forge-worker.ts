// Child-process helper for the cross-process lock test: create N issues in a LocalForge directory
// (all in flight at once) and print the numbers handed out, as JSON, on stdout. It first prints
// "ready" and waits for a line on stdin, so that the parent can start several workers together.
import { createInterface } from 'node:readline';
import pino from 'pino';
import { LocalForge } from '../../src/local.ts';

const [dir, countText, tag] = process.argv.slice(2);
if (!dir || !countText || !tag) {
  process.stderr.write('usage: forge-worker.ts <dir> <count> <tag>\n');
  process.exit(2);
}
const forge = new LocalForge({ dir, author: tag, logger: pino({ level: 'silent' }) });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await new Promise((go) => lines.once('line', go));
lines.close();
const issues = await Promise.all(
  Array.from({ length: Number(countText) }, (_, i) => forge.createIssue({ title: `${tag} issue ${i}` })),
);
process.stdout.write(`${JSON.stringify(issues.map((issue) => issue.number))}\n`);
