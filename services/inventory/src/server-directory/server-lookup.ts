import { Injectable } from '@nestjs/common';
import { serverStreamId } from '@fleetwarden/inventory-contracts';
import { InventoryErrorCode, serverDecider } from '@fleetwarden/inventory-domain';
import { type Caller, canSee, CommandExecutor } from '@fleetwarden/platform';
import { InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';
import { ServerDirectory, type DirectoryEntry } from './server-directory';

/** Code of a reseller group asked to hold another reseller's server (operators only see it). */
export const GROUP_FOREIGN_SERVER = 'GROUP.FOREIGN_SERVER';

/** Streams loaded at once for ids the directory does not know yet. */
const LOAD_CONCURRENCY = 16;

export interface RequireServersOptions {
  /** Decommissioned servers pass (removing them from a group). */
  allowDecommissioned: boolean;
  /** The group's reseller: its servers must all belong to it; null for an operator group. */
  groupReseller: string | null;
}

/** Checks the server ids of a group command against the inventory and the caller's tenant. */
@Injectable()
export class ServerLookup {
  constructor(
    private readonly directory: ServerDirectory,
    private readonly executor: CommandExecutor,
  ) {}

  /**
   * Every id must name a registered server the caller may see (and, unless allowed, not a
   * decommissioned one), else `SERVER.NOT_FOUND` listing them; a reseller group may hold only
   * its reseller's servers (`GROUP.FOREIGN_SERVER` for an operator, `SERVER.NOT_FOUND` for anyone
   * else).
   */
  async requireServers(ids: readonly string[], caller: Caller, options: RequireServersOptions): Promise<void> {
    const unique = [...new Set(ids)];
    const entries = await this.resolve(unique);
    const missing: string[] = [];
    const foreign: string[] = [];
    for (const id of unique) {
      const entry = entries.get(id);
      if (!entry || (entry.decommissioned && !options.allowDecommissioned) || !canSee(caller, entry.reseller)) {
        missing.push(id);
      } else if (options.groupReseller !== null && entry.reseller !== options.groupReseller) {
        (caller.role === 'reseller' ? missing : foreign).push(id);
      }
    }
    if (missing.length > 0) {
      throw new NotFoundError(
        InventoryErrorCode.ServerNotFound,
        `Server${missing.length > 1 ? 's' : ''} ${preview(missing)} not found`,
        { details: { serverIds: missing } },
      );
    }
    if (foreign.length > 0) {
      throw new InvariantViolationError(
        GROUP_FOREIGN_SERVER,
        `A group of reseller ${options.groupReseller} may hold only its servers, not ${preview(foreign)}`,
        { details: { serverIds: foreign, reseller: options.groupReseller } },
      );
    }
  }

  /** Directory entries, loading the streams of ids it does not know (it may trail the store). */
  private async resolve(ids: string[]): Promise<Map<string, Readonly<DirectoryEntry>>> {
    const found = new Map<string, Readonly<DirectoryEntry>>();
    const unknown: string[] = [];
    for (const id of ids) {
      const entry = this.directory.get(id);
      if (entry) found.set(id, entry);
      else unknown.push(id);
    }
    for (let i = 0; i < unknown.length; i += LOAD_CONCURRENCY) {
      await Promise.all(
        unknown.slice(i, i + LOAD_CONCURRENCY).map(async (id) => {
          const { state, version } = await this.executor.load(serverStreamId(id), serverDecider);
          this.directory.note(state, version);
          const entry = this.directory.get(id);
          if (entry) found.set(id, entry);
        }),
      );
    }
    return found;
  }
}

function preview(ids: string[]): string {
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;
}
