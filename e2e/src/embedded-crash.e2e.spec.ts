import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEventStore, type LogPosition } from '@fleetwarden/eventstore';
import { killIfRunning, lines, pollUntil, runEntry, type Spawned } from './support/processes';

jest.setTimeout(60_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Acknowledged appends to wait for before the kill. */
const APPENDS_BEFORE_KILL = 300;

describe('embedded default (PGlite) after kill -9', () => {
  let dataDir: string;
  let writer: Spawned | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-crash-'));
  });

  afterAll(async () => {
    await killIfRunning(writer);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every append that was acknowledged before the process was killed', async () => {
    writer = runEntry('e2e/src/fixtures/append-loop.ts', {}, [dataDir]);
    await pollUntil(
      `${APPENDS_BEFORE_KILL} acknowledged appends`,
      async () => (lines(writer!.stdout()).length > APPENDS_BEFORE_KILL ? true : undefined),
      { timeoutMs: 40_000, intervalMs: 50, abort: writer.exited },
    );
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toBe('SIGKILL');

    const output = lines(writer.stdout());
    expect(output[0]).toBe('ready');
    // The last line may have been cut by the kill; every complete id was acknowledged.
    const acknowledged = output.slice(1).filter((line) => UUID.test(line));
    expect(acknowledged.length).toBeGreaterThanOrEqual(APPENDS_BEFORE_KILL);

    const store = await createEventStore({ dataDir, schema: 'fleetwarden' });
    try {
      await store.migrate();
      const stored = new Set<string>();
      let from: LogPosition | undefined;
      for (;;) {
        const page = await store.readAll({ fromPosition: from, limit: 1000 });
        if (page.events.length === 0) break;
        for (const event of page.events) stored.add(event.eventId);
        from = page.nextPosition;
      }
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
