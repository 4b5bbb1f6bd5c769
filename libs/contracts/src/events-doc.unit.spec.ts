import { z } from 'zod';
import { renderEventsDoc } from './events-doc';
import { MessageCatalogue, defineAgentMessage, defineEvent } from './registry';

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
  const catalogue = new MessageCatalogue({ events: [v1, v2], agentMessages: [hello] });
  const doc = renderEventsDoc(catalogue);

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
    expect(renderEventsDoc(catalogue)).toBe(renderEventsDoc(catalogue));
    expect(doc.endsWith('\n')).toBe(true);
    expect(doc.endsWith('\n\n')).toBe(false);
  });
});
