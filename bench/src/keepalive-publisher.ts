import { Worker } from 'node:worker_threads';

/**
 * The keep-alive services of the members of `pairs` redundancy pairs, from a worker thread with
 * its own NATS connection (so that building and sending keep-alives does not take the service's
 * CPU time). Member `2i` is the primary of pair `i`, member `2i + 1` its secondary; each sends one
 * `AgentKeepAlive` on `<ns>.agent.<serverId>.keepalive` every `intervalMs`, the members spread
 * evenly over the interval (the two of a pair half an interval apart). Control requests (`<ns>.agent.*.control`) are answered `{ ok: true }`
 * and change what the member claims. Commands: `silence` (members stop sending; replies the
 * wall-clock ms of each one's last keep-alive), `stats`, `close`.
 */
const PUBLISHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require(workerData.natsModule);
const now = () => performance.timeOrigin + performance.now();
(async () => {
  const nc = await connect({ servers: workerData.natsUrl, name: 'bench-keepalive-publisher' });
  const { namespace, pairs, intervalMs } = workerData;
  const members = pairs * 2;
  const ids = Array.from({ length: members }, (_, m) => 'ka' + (m >> 1) + (m & 1 ? 's' : 'p'));
  const subjects = ids.map((id) => namespace + '.agent.' + id + '.keepalive');
  const inControl = Array.from({ length: members }, (_, m) => (m & 1) === 0);
  const silenced = new Uint8Array(members);
  const lastSentAt = new Float64Array(members);
  const indexOf = (id) => 2 * Number(id.slice(2, -1)) + (id.endsWith('s') ? 1 : 0);
  let sent = 0;
  let controls = 0;

  nc.subscribe(namespace + '.agent.*.control', {
    callback: (err, msg) => {
      if (err) return;
      const body = JSON.parse(msg.string());
      if (body.type !== 'assume-control' && body.type !== 'release-control') {
        msg.respond('{"ok":false,"error":"not a pair member request"}');
        return;
      }
      inControl[indexOf(msg.subject.split('.')[2])] = body.type === 'assume-control';
      controls++;
      msg.respond('{"ok":true}');
    },
  });
  await nc.flush();

  const send = (m) => {
    const at = now();
    lastSentAt[m] = at;
    const lead = inControl[m];
    nc.publish(subjects[m],
      '{"serverId":"' + ids[m] + '","sentAt":"' + new Date(at).toISOString() + '","inControl":' + lead +
      ',"switchingService":"up","ipPhoneService":"up","keepAliveService":"up","replicationStatus":"' +
      (lead ? 'monitoring' : 'updated') + '","peerReachable":true}');
    sent++;
  };

  const start = performance.now();
  let next = 0;
  let running = true;
  const loop = async () => {
    while (running) {
      const due = Math.floor(((performance.now() - start) * members) / intervalMs);
      for (; next < due; next++) {
        // All primaries, then all secondaries: the two members of a pair send half an interval apart.
        const k = next % members;
        const m = k < pairs ? 2 * k : 2 * (k - pairs) + 1;
        if (!silenced[m]) send(m);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const looping = loop();

  parentPort.on('message', async (msg) => {
    if (msg.cmd === 'silence') {
      for (const m of msg.members) silenced[m] = 1;
      parentPort.postMessage({ silenced: msg.members.map((m) => lastSentAt[m]), at: now() });
    } else if (msg.cmd === 'stats') {
      parentPort.postMessage({ stats: true, sent, controls });
    } else if (msg.cmd === 'close') {
      running = false;
      await looping;
      await nc.drain();
      parentPort.postMessage({ closed: true });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** Server id of member `m` of {@link KeepAlivePublisher}: `ka<pair>p` or `ka<pair>s`. */
export const memberId = (m: number): string => `ka${m >> 1}${m & 1 ? 's' : 'p'}`;

export class KeepAlivePublisher {
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

  /** Starts sending at once; resolves when connected and answering control requests. */
  static async start(options: {
    natsUrl: string;
    namespace: string;
    pairs: number;
    intervalMs: number;
  }): Promise<KeepAlivePublisher> {
    const worker = new Worker(PUBLISHER, {
      eval: true,
      workerData: { ...options, natsModule: require.resolve('@nats-io/transport-node') },
    });
    const publisher = new KeepAlivePublisher(worker);
    await publisher.reply('ready');
    return publisher;
  }

  /** Stops the keep-alives of these members; returns when each last sent one (wall-clock ms, 0: never). */
  async silence(members: number[]): Promise<{ lastSentAt: number[]; at: number }> {
    const reply = this.reply('silenced');
    this.worker.postMessage({ cmd: 'silence', members });
    const m = await reply;
    return { lastSentAt: m.silenced as number[], at: m.at as number };
  }

  /** Keep-alives sent and control requests answered so far. */
  async stats(): Promise<{ sent: number; controls: number }> {
    const reply = this.reply('stats');
    this.worker.postMessage({ cmd: 'stats' });
    const m = await reply;
    return { sent: m.sent as number, controls: m.controls as number };
  }

  async close(): Promise<void> {
    const reply = this.reply('closed');
    this.worker.postMessage({ cmd: 'close' });
    await Promise.race([reply, new Promise((r) => setTimeout(r, 3000))]);
    await this.worker.terminate();
  }

  private reply(kind: string): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.worker.once('error', onError);
      this.waiters.set(kind, (m) => {
        this.worker.off('error', onError);
        resolve(m);
      });
    });
  }
}
