import type {
  AgentPatchReport,
  AutomatedUpdatesSet,
  PatchBatchEventContract,
  ServerComplianceEventContract,
  UrgentUpdateEventContract,
} from '@fleetwarden/compliance-contracts';
import type {
  AutomatedUpdatesEvent,
  PatchBatchEvent,
  ServerComplianceEvent,
  UrgentUpdateEvent,
} from '@fleetwarden/compliance-domain';
import type { InstallRequest } from './install-recorder';

type Fits<A, B> = [A] extends [B] ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AutomationContract = { type: 'AutomatedUpdatesSet'; data: ReturnType<(typeof AutomatedUpdatesSet)['parse']> };

/**
 * Compile-time proof that every event the compliance deciders decide fits the published contract
 * of its type, that the deciders know every published event type, and that an agent's patch report
 * carries what an install needs: a change that would break the contracts fails to compile here.
 */
export const COMPLIANCE_EVENTS_FIT_CONTRACTS: [
  Fits<ServerComplianceEvent, ServerComplianceEventContract>,
  Same<ServerComplianceEventContract['type'], ServerComplianceEvent['type']>,
  Fits<PatchBatchEvent, PatchBatchEventContract>,
  Same<PatchBatchEventContract['type'], PatchBatchEvent['type']>,
  Fits<UrgentUpdateEvent, UrgentUpdateEventContract>,
  Same<UrgentUpdateEventContract['type'], UrgentUpdateEvent['type']>,
  Fits<AutomatedUpdatesEvent, AutomationContract>,
  Fits<
    Pick<AgentPatchReport, 'serverId' | 'installedAt' | 'patches' | 'startedBy' | 'kind' | 'urgentUpdateId'>,
    Omit<InstallRequest, 'source' | 'reseller'>
  >,
] = [true, true, true, true, true, true, true, true];
