import { serverNotFound, type ServerState } from '@fleetwarden/inventory-domain';
import { canSee, type Caller } from '@fleetwarden/platform';

/** Another tenant's server is "not found", exactly like a server that does not exist. */
export function serverGuard(caller: Caller, serverId: string): (state: ServerState) => void {
  return (state) => {
    if (!state.registered || !canSee(caller, state.reseller?.id)) throw serverNotFound(serverId);
  };
}
