import { commandMetaSchema, parseOrThrow, type CommandMeta } from '@fleetwarden/contracts';
import { ForbiddenError } from '@fleetwarden/shared-domain';

/** Code of a command refused because of the caller's role. */
export const FORBIDDEN_CODE = 'FORBIDDEN';

/** Who sends a command, once authorised: operations (all tenants) or one reseller. */
export interface Caller {
  role: 'operator' | 'system' | 'reseller';
  /** The reseller a `reseller` acts for; null for operators and the system. */
  reseller: string | null;
  meta: CommandMeta;
}

/**
 * Authorises a command from its request meta: `operator` and `system` may send every command,
 * `reseller` (with `meta.reseller`) every one except those marked `operatorOnly`; `auditor`,
 * `agent` or no role at all are refused with `FORBIDDEN`.
 */
export function authorize(rawMeta: unknown, command: string, options: { operatorOnly?: boolean } = {}): Caller {
  const meta = parseOrThrow(commandMetaSchema, rawMeta ?? {}, `${command} meta`);
  const role = meta.role;
  if (role === 'operator' || role === 'system') return { role, reseller: null, meta };
  if (role === 'reseller') {
    if (!meta.reseller) throw forbidden(command, 'a reseller without meta.reseller');
    if (options.operatorOnly) throw forbidden(command, 'a reseller');
    return { role, reseller: meta.reseller, meta };
  }
  throw forbidden(command, role ? `role ${role}` : 'a caller without a role');
}

/** True when the caller may see data of `reseller` (null: fleet-wide data, operators only). */
export function canSee(caller: Caller, reseller: string | null | undefined): boolean {
  return caller.role !== 'reseller' || (reseller != null && reseller === caller.reseller);
}

function forbidden(command: string, who: string): ForbiddenError {
  return new ForbiddenError(FORBIDDEN_CODE, `${who} may not send ${command}`, { details: { command } });
}
