import { Agent, request } from 'node:http';

/** The 99th percentile of latency samples (nearest rank). */
export function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

/** Real ms that `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * POSTs a GraphQL request to `127.0.0.1:<port>/graphql` with a bearer token; resolves with the
 * ms until the whole response arrived, and passes its text to `check` (rejects on a non-200
 * status or an `errors` entry).
 */
export function postGraphql(
  agent: Agent,
  port: number,
  token: string,
  body: string,
  check: (text: string) => void = () => undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const text = Buffer.concat(chunks).toString();
          try {
            if (res.statusCode !== 200 || text.includes('"errors"')) throw new Error(`${res.statusCode}: ${text}`);
            check(text);
            resolve(ms);
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** p99 of the gateway and of the direct SQL, sampled in alternating rounds after a warm-up. */
export async function alternatingP99(
  pair: { gateway: () => Promise<number>; direct: () => Promise<number> },
  rounds: number,
  perRound: number,
): Promise<{ value: number; baselineValue: number }> {
  for (let i = 0; i < perRound; i++) {
    await pair.gateway();
    await pair.direct();
  }
  const gateway: number[] = [];
  const direct: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const);
    for (const side of order) {
      const samples = side === 'gateway' ? gateway : direct;
      for (let i = 0; i < perRound; i++) samples.push(await pair[side]());
    }
  }
  return { value: p99(gateway), baselineValue: p99(direct) };
}
