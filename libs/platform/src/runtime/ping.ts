import type { PingReply } from '@fleetwarden/contracts';
import type { ProcessInfo } from './process-info';

/** The `Ping` reply of `service` running in this process. */
export function pingReply(service: string, info: ProcessInfo): PingReply {
  return { service, instanceId: info.instanceId, uptimeMs: info.uptimeMs() };
}
