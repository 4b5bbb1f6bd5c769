import type { NewEvent } from '@fleetwarden/eventstore';
import { event } from '../../testing/gateway-test-kit';

/** A redundancy key hash as the redundancy service stores it: it must never leave the event store. */
export const KEY_HASH = 'scrypt$c2VjcmV0LXNhbHQ=$c2VjcmV0LWhhc2gtb2YtdGhlLWtleQ==';

/** A `PairConfigured` event with plausible data; `over` replaces fields. */
export function pairConfigured(
  pairId: string,
  primaryServerId: string,
  secondaryServerId: string,
  tenant: string | null,
  over: object = {},
): NewEvent {
  return event(
    'PairConfigured',
    {
      pairId,
      primaryServerId,
      secondaryServerId,
      primaryAddress: `10.0.0.1`,
      secondaryAddress: `10.0.0.2`,
      switchAddress: `10.0.0.9`,
      redundancyKeyHash: KEY_HASH,
      autoFailover: true,
      keepAliveIntervalSec: 5,
      failoverThresholdSec: 15,
      holdDownSec: 300,
      notificationTargets: [],
      tenant,
      configuredBy: tenant ? `reseller:${tenant}-user` : 'operator:alice',
      ...over,
    },
    tenant,
  );
}

/** A `MemberStateReported` event of a healthy member; `over` replaces fields. */
export function memberReported(
  pairId: string,
  serverId: string,
  role: 'primary' | 'secondary',
  at: string,
  over: object = {},
): NewEvent {
  return event('MemberStateReported', {
    pairId,
    serverId,
    role,
    claimsControl: role === 'primary',
    switchingService: 'up',
    ipPhoneService: 'up',
    keepAliveService: 'up',
    replicationStatus: role === 'primary' ? 'monitoring' : 'updated',
    peerReachable: true,
    clockSkewMs: 0,
    at,
    ...over,
  });
}
