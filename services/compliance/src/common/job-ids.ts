import { createHash } from 'node:crypto';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A deterministic patch job id (`ops-<eventId>`, `emg-<eventId>`, `auto-<serverId>-<YYYYMMDD>`),
 * so that sending the same job again after a restart is recognised. Parts that would make it
 * longer than an id may be (64 of `[A-Za-z0-9_-]`) are replaced by a hash of them.
 */
export function patchJobId(prefix: string, ...parts: string[]): string {
  const readable = [prefix, ...parts].join('-');
  if (ID.test(readable)) return readable;
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
  return `${prefix}-${hash}`;
}

/** The reason kept with a patch job: at most 2000 characters. */
export function patchJobReason(text: string): string {
  return text.length <= 2000 ? text : `${text.slice(0, 1997)}...`;
}
