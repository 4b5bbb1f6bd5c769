const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * `sentAt` in ms when `body` is a heartbeat of `serverId` by the AgentHeartbeat contract
 * (`{ serverId, seq, sentAt }`, nothing else), else the reason it is not. Written out by hand:
 * it runs for every heartbeat.
 */
export function checkHeartbeat(body: unknown, serverId: string): number | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not a JSON object';
  const b = body as Record<string, unknown>;
  if (b.serverId !== serverId) return `serverId ${JSON.stringify(b.serverId)} does not match the subject`;
  const seq = b.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) return 'seq must be an integer >= 0';
  const sentAt = b.sentAt;
  if (typeof sentAt !== 'string' || !ISO_DATE_TIME.test(sentAt)) return 'sentAt must be an ISO-8601 date-time';
  const ms = Date.parse(sentAt);
  if (!Number.isFinite(ms)) return 'sentAt must be an ISO-8601 date-time';
  let keys = 0;
  for (const key in b) if (Object.prototype.hasOwnProperty.call(b, key)) keys++;
  if (keys !== 3) return 'unexpected keys (allowed: serverId, seq, sentAt)';
  return ms;
}
