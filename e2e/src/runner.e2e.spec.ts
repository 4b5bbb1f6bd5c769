import request from 'supertest';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { healthyReport, HEALTH_PARTS } from './support/health';
import { exitWithin, freePort, killIfRunning, pollUntil, startRunner, type Spawned } from './support/processes';

jest.setTimeout(60_000);

describe('npm start (runner) on PostgreSQL', () => {
  let schema: TestSchema;
  let namespace: string;
  let runner: Spawned | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    schema = await createTestSchema('e2e');
    namespace = createTestNamespace('e2e');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    runner = startRunner({
      PORT: String(port),
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: schema.connectionString,
      FLEETWARDEN_DB_SCHEMA: schema.schema,
      FLEETWARDEN_NAMESPACE: namespace,
    });
  });

  afterAll(async () => {
    await killIfRunning(runner);
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('serves GET /health with every part up', async () => {
    const report = await pollUntil('GET /health 200', () => healthyReport(baseUrl), {
      timeoutMs: 45_000,
      abort: runner!.exited,
    });
    expect(report.status).toBe('ok');
    expect(Object.keys(report.parts).sort()).toEqual([...HEALTH_PARTS].sort());
    for (const part of HEALTH_PARTS) expect(report.parts[part]).toMatchObject({ status: 'up' });
    expect(runner!.stdout()).toContain(`Fleetwarden ready: GraphQL at ${baseUrl}/graphql`);
  });

  it('answers GraphQL queries and hides introspection', async () => {
    const res = await request(baseUrl)
      .post('/graphql')
      .send({ query: '{ version health { status parts { name status } } }' })
      .expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(res.body.data.health.status).toBe('OK');
    expect(res.body.data.health.parts).toHaveLength(HEALTH_PARTS.length);

    const introspection = await request(baseUrl)
      .post('/graphql')
      .send({ query: '{ __schema { queryType { name } } }' });
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    runner!.child.kill('SIGTERM');
    await expect(exitWithin(runner!, 20_000)).resolves.toBe(0);
    expect(runner!.stdout()).toContain('stopped');
    expect(runner!.stderr()).toBe('');
  });
});
