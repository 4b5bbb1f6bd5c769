import { Worker } from 'node:worker_threads';

/**
 * Answers every agent command on `<prefix>*.cmd` from a worker thread with its own NATS
 * connection (so that answering does not take the services' CPU time): parses the JSON and
 * replies `{"ok":true,"jobId":...}` at once, as an agent that accepts every job. Counts the
 * distinct jobs whose id starts with the expected prefix and notes the time of the first and of
 * the last one. Commands: `expect` (prefix, count), `close`.
 */
const RESPONDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require(workerData.natsModule);
const now = () => performance.timeOrigin + performance.now();
(async () => {
  const nc = await connect({ servers: workerData.natsUrl, name: 'bench-agent-responder' });
  let expected = null;
  let jobs = new Set();
  let received = 0;
  let firstAt = null;
  nc.subscribe(workerData.subject, {
    callback: (err, msg) => {
      if (err) return;
      const cmd = JSON.parse(msg.string());
      msg.respond('{"ok":true,"jobId":' + JSON.stringify(cmd.jobId) + '}');
      if (cmd.type !== 'update' || expected === null || !cmd.jobId.startsWith(expected.prefix)) return;
      received++;
      firstAt ??= now();
      jobs.add(cmd.jobId);
      if (jobs.size === expected.count) {
        parentPort.postMessage({ done: true, firstAt, lastAt: now(), received });
        expected = null;
      }
    },
  });
  await nc.flush();
  parentPort.on('message', async (m) => {
    if (m.cmd === 'expect') {
      expected = { prefix: m.prefix, count: m.count };
      jobs = new Set();
      received = 0;
      firstAt = null;
      parentPort.postMessage({ expecting: true });
    } else if (m.cmd === 'close') {
      await nc.drain();
      parentPort.postMessage({ closed: true });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** When the expected jobs arrived: wall-clock ms (`performance.timeOrigin + performance.now()`). */
export interface JobsReceived {
  firstAt: number;
  lastAt: number;
  /** Commands of the expected jobs received, repeats included. */
  received: number;
}

export class AgentResponder {
  private readonly waiters = new Map<string, (m: Record<string, unknown>) => void>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: Record<string, unknown>) => {
      const kind = Object.keys(m).find((k) => this.waiters.has(k));
      if (!kind) return;
      const resolve = this.waiters.get(kind);
      this.waiters.delete(kind);
      resolve?.(m);
    });
    worker.on('error', (err) => {
      this.failure = err;
    });
  }

  /** Starts answering `<namespace>.agent.*.cmd`; resolves once subscribed. */
  static async start(natsUrl: string, namespace: string): Promise<AgentResponder> {
    const worker = new Worker(RESPONDER, {
      eval: true,
      workerData: {
        natsUrl,
        subject: `${namespace}.agent.*.cmd`,
        natsModule: require.resolve('@nats-io/transport-node'),
      },
    });
    const responder = new AgentResponder(worker);
    await responder.message('ready', 10_000);
    return responder;
  }

  /**
   * Counts the `update` commands of jobs starting with `prefix` from now on; `done` resolves when
   * `count` distinct jobs have arrived, or rejects after `timeoutMs`.
   */
  async expect(prefix: string, count: number, timeoutMs: number): Promise<{ done: Promise<JobsReceived> }> {
    const expecting = this.message('expecting', 10_000);
    const done = this.message('done', timeoutMs) as Promise<unknown> as Promise<JobsReceived>;
    done.catch(() => undefined);
    this.worker.postMessage({ cmd: 'expect', prefix, count });
    await expecting;
    return { done };
  }

  async close(): Promise<void> {
    const closed = this.message('closed', 2000).catch(() => undefined);
    this.worker.postMessage({ cmd: 'close' });
    await closed;
    await this.worker.terminate();
  }

  private message(kind: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(kind);
        reject(this.failure ?? new Error(`agent responder: no "${kind}" within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.waiters.set(kind, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }
}
