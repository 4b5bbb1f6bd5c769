import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';
import { MessageCatalogue, defineAgentMessage, defineEvent } from './registry';

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
    const rendered = renderEventsDoc();
    if (onDisk !== rendered) {
      throw new Error(`${EVENTS_DOC_PATH} is out of date: run npm run docs (${firstDifference(onDisk, rendered)})`);
    }
  });
});

describe('renderEventsDoc', () => {
  const v1 = defineEvent({
    context: 'inventory',
    type: 'ServerRegistered',
    version: 1,
    description: 'A server joined the fleet.',
    schema: z.object({ serverId: z.string() }),
  });
  const v2 = defineEvent({ ...v1, version: 2, schema: z.object({ serverId: z.string(), os: z.string() }) });
  const hello = defineAgentMessage({
    kind: 'hello',
    description: 'An agent announces itself.',
    schema: z.object({ serverId: z.string(), agentVersion: z.string() }),
  });
  const doc = renderEventsDoc(new MessageCatalogue({ events: [v1, v2], agentMessages: [hello] }));

  it('lists each event version with its subject and schema, marking superseded ones', () => {
    expect(doc).toContain(
      '#### `ServerRegistered` v1\n\nSubject `fleet.events.inventory.ServerRegistered` · `schemaVersion` 1 · superseded by v2',
    );
    expect(doc).toContain(
      '#### `ServerRegistered` v2\n\nSubject `fleet.events.inventory.ServerRegistered` · `schemaVersion` 2\n',
    );
    expect(doc).toContain('"os": {\n      "type": "string"\n    }');
  });

  it('lists agent messages with their subject pattern', () => {
    expect(doc).toContain('### `hello`\n\nSubject `fleet.agent.<serverId>.hello`\n\nAn agent announces itself.');
  });

  it('is deterministic and ends with one newline', () => {
    expect(renderEventsDoc()).toBe(renderEventsDoc());
    expect(doc.endsWith('\n')).toBe(true);
    expect(doc.endsWith('\n\n')).toBe(false);
  });
});
