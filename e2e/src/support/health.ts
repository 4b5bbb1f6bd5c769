import request from 'supertest';

/** The parts `/health` reports, dependencies first. */
export const HEALTH_PARTS = [
  'database',
  'nats',
  'eventsStream',
  'relay',
  'inventory',
  'scheduling',
  'execution',
  'redundancy',
  'compliance',
] as const;

export interface HealthBody {
  status: 'ok' | 'down';
  parts: Record<string, { status: 'up' | 'down'; error?: string }>;
}

/** GET /health; undefined while nothing listens or the status is not 200. */
export async function healthyReport(baseUrl: string): Promise<HealthBody | undefined> {
  const res = await request(baseUrl).get('/health').timeout(3000);
  return res.status === 200 ? (res.body as HealthBody) : undefined;
}
