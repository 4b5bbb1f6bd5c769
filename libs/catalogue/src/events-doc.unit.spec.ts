import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS_DOC_PATH, renderEventsDoc } from '@fleetwarden/contracts';
import { catalogue } from './catalogue';

function firstDifference(a: string, b: string): string {
  const left = a.split('\n');
  const right = b.split('\n');
  const line = left.findIndex((text, i) => text !== right[i]);
  const at = line === -1 ? left.length : line;
  return `line ${at + 1}: file has ${JSON.stringify(left[at] ?? '<end>')}, contracts give ${JSON.stringify(right[at] ?? '<end>')}`;
}

describe('docs/events.md', () => {
  it('is what the contracts render (run `npm run docs` after changing a contract)', () => {
    const path = join(__dirname, '..', '..', '..', EVENTS_DOC_PATH);
    const onDisk = readFileSync(path, 'utf8');
    const rendered = renderEventsDoc(catalogue);
    if (onDisk !== rendered) {
      throw new Error(`${EVENTS_DOC_PATH} is out of date: run npm run docs (${firstDifference(onDisk, rendered)})`);
    }
  });
});
