import { createHash, randomUUID } from 'node:crypto';
import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Resolver } from '@nestjs/graphql';
import {
  ApprovePatchBatch,
  DeclareUrgentUpdate,
  RecordEmergencyUpdate,
  RecordPatchBatchDownload,
  RecordPatchBatchPilot,
  RecordPatchInstall,
  SetAutomatedUpdates,
  complianceStreamId,
  patchAutomationStreamId,
  patchBatchStreamId,
  urgentUpdateStreamId,
} from '@fleetwarden/compliance-contracts';
import { AuthGuard, CurrentPrincipal, Roles } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode, badUserInput, forbidden, gqlError } from '../graphql/graphql-errors';
import { commandCall, type CommandCall } from '../inventory/inventory-commands';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { ComplianceCommands } from './compliance-commands';
import { COMPLIANCE_PROJECTION } from './compliance.projection';
import { ComplianceReadModel } from './compliance.read-model';
import { ComplianceState, PatchInstallKind, PatchInstallStarter } from './models/compliance.enums';
import { AutomationScheduleInput } from './models/compliance.inputs';
import {
  EmergencyUpdate,
  PatchAutomation,
  PatchBatch,
  PatchInstallResult,
  UrgentUpdate,
} from './models/compliance.model';

const IDEMPOTENCY_KEY_DOC =
  'Repeating a mutation with the same key applies it once and returns the first outcome. Default: a new key.';
const idempotencyKeyArg = () =>
  Args('idempotencyKey', { type: () => String, nullable: true, description: IDEMPOTENCY_KEY_DOC });

/**
 * The id of a new urgent or emergency update: derived from the caller's idempotency key, so that a
 * retry with the same key names the same update; random without one.
 */
export function updateIdFor(prefix: string, idempotencyKey: string | null | undefined): string {
  if (idempotencyKey === null || idempotencyKey === undefined) return `${prefix}-${randomUUID()}`;
  return `${prefix}-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
}

/** Command fields that are not GraphQL arguments of the same name. */
const argumentOf =
  (renamed: Record<string, string> = {}) =>
  (field: string): string =>
    renamed[field] ?? field;

function requirePatches(patches: readonly string[]): void {
  if (patches.length === 0) throw badUserInput('patches', 'must name at least one patch');
}

/**
 * Compliance mutations: each sends one command to the compliance service, waits until the
 * compliance read model shows its outcome, and returns it. Operators only, except
 * `setAutomatedUpdates`, which a reseller may call for itself.
 */
@Resolver()
@UseGuards(AuthGuard)
export class ComplianceMutationsResolver {
  constructor(
    private readonly commands: ComplianceCommands,
    private readonly readModel: ComplianceReadModel,
    private readonly barrier: ProjectionBarrier,
  ) {}

  @Mutation(() => UrgentUpdate, {
    description:
      'Declares an urgent update: every reseller with affected operator-hosted servers is asked to install the ' +
      'patches as soon as possible; progress is tracked per reseller. Urgent installs are never charged.',
  })
  @Roles('operator')
  async declareUrgentUpdate(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('patches', { type: () => [String] }) patches: string[],
    @Args('reason') reason: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<UrgentUpdate> {
    const call = commandCall(ctx, idempotencyKey, argumentOf({ urgentUpdateId: 'idempotencyKey' }));
    requirePatches(patches);
    const urgentUpdateId = updateIdFor('urgent', idempotencyKey);
    await this.commands.send(DeclareUrgentUpdate, { urgentUpdateId, patches, reason }, principal, call);
    await this.caughtUp(urgentUpdateStreamId(urgentUpdateId), call);
    const update = await this.readModel.urgentUpdate(null, urgentUpdateId);
    if (!update) throw notShown(`urgent update ${urgentUpdateId}`, call);
    return update;
  }

  @Mutation(() => EmergencyUpdate, {
    description:
      'Records an emergency update: operations patches a server that harms other customers or the shared ' +
      'infrastructure at once; the reseller is notified. Never charged.',
  })
  @Roles('operator')
  async recordEmergencyUpdate(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('serverId', { type: () => ID }) serverId: string,
    @Args('patches', { type: () => [String] }) patches: string[],
    @Args('reason') reason: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<EmergencyUpdate> {
    const call = commandCall(ctx, idempotencyKey, argumentOf({ emergencyUpdateId: 'idempotencyKey' }));
    requirePatches(patches);
    const emergencyUpdateId = updateIdFor('emergency', idempotencyKey);
    const reply = await this.commands.send(
      RecordEmergencyUpdate,
      { serverId, emergencyUpdateId, patches, reason },
      principal,
      call,
    );
    await this.caughtUp(complianceStreamId(serverId), call);
    return { id: reply.emergencyUpdateId, serverId: reply.serverId, reseller: reply.reseller };
  }

  @Mutation(() => PatchInstallResult, {
    description:
      'Records OS updates installed on a server (operations): its counter restarts at day 1. A regular install by ' +
      'operations on a breached server records the configured charge against the reseller (returned).',
  })
  @Roles('operator')
  async recordPatchInstall(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('serverId', { type: () => ID }) serverId: string,
    @Args('installedAt', { type: () => Date }) installedAt: Date,
    @Args('patches', { type: () => [String] }) patches: string[],
    @Args('startedBy', { type: () => PatchInstallStarter }) startedBy: PatchInstallStarter,
    @Args('kind', { type: () => PatchInstallKind, nullable: true, defaultValue: PatchInstallKind.REGULAR })
    kind?: PatchInstallKind | null,
    @Args('urgentUpdateId', { type: () => ID, nullable: true, description: 'Required when kind is URGENT.' })
    urgentUpdateId?: string | null,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<PatchInstallResult> {
    const call = commandCall(ctx, idempotencyKey, argumentOf());
    if (!(installedAt instanceof Date) || Number.isNaN(installedAt.getTime())) {
      throw badUserInput('installedAt', 'must be a date-time');
    }
    requirePatches(patches);
    const reply = await this.commands.send(
      RecordPatchInstall,
      {
        serverId,
        installedAt: installedAt.toISOString(),
        patches,
        startedBy,
        kind: kind ?? PatchInstallKind.REGULAR,
        urgentUpdateId: urgentUpdateId ?? null,
      },
      principal,
      call,
    );
    await this.caughtUp(complianceStreamId(serverId), call);
    return {
      serverId: reply.serverId,
      recorded: reply.recorded,
      charge: reply.charge,
      unapprovedPatches: reply.unapprovedPatches,
      state: reply.state as ComplianceState | null,
    };
  }

  @Mutation(() => PatchBatch, {
    description: 'Records a batch of the latest OS patches: the start of its approval cycle.',
  })
  @Roles('operator')
  async recordPatchBatch(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('batchId', { type: () => ID }) batchId: string,
    @Args('patches', { type: () => [String] }) patches: string[],
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<PatchBatch> {
    const call = commandCall(ctx, idempotencyKey, argumentOf());
    requirePatches(patches);
    await this.commands.send(RecordPatchBatchDownload, { batchId, patches }, principal, call);
    return this.batchAfter(batchId, call);
  }

  @Mutation(() => PatchBatch, {
    description: 'Records that the batch was installed on internal servers; it is then watched for 14 days.',
  })
  @Roles('operator')
  async pilotPatchBatch(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('batchId', { type: () => ID }) batchId: string,
    @Args('internalServerIds', { type: () => [ID] }) internalServerIds: string[],
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<PatchBatch> {
    const call = commandCall(ctx, idempotencyKey, argumentOf());
    if (internalServerIds.length === 0) throw badUserInput('internalServerIds', 'must name at least one server');
    await this.commands.send(RecordPatchBatchPilot, { batchId, internalServerIds }, principal, call);
    return this.batchAfter(batchId, call);
  }

  @Mutation(() => PatchBatch, {
    description:
      'Approves a patch batch for customer servers after its 14-day watch on internal servers (CONFLICT before; ' +
      'NOT_FOUND for an unknown batch).',
  })
  @Roles('operator')
  async approvePatchBatch(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('batchId', { type: () => ID }) batchId: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<PatchBatch> {
    const call = commandCall(ctx, idempotencyKey, argumentOf());
    await this.commands.send(ApprovePatchBatch, { batchId }, principal, call);
    return this.batchAfter(batchId, call);
  }

  @Mutation(() => PatchAutomation, {
    description:
      "Turns automated OS updates of a reseller's servers on (with a schedule) or off. Operators, or the reseller " +
      'itself.',
  })
  @Roles('operator', 'reseller')
  async setAutomatedUpdates(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('reseller', { type: () => ID }) reseller: string,
    @Args('enabled') enabled: boolean,
    @Args('schedule', { type: () => AutomationScheduleInput, nullable: true, description: 'Required when enabled.' })
    schedule?: AutomationScheduleInput | null,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<PatchAutomation> {
    const call = commandCall(ctx, idempotencyKey, argumentOf());
    if (principal.role === 'reseller' && reseller !== principal.reseller) {
      throw forbidden(`A reseller may set its own automated updates only (argument "reseller")`);
    }
    if (enabled && !schedule) throw badUserInput('schedule', 'is required when enabled');
    await this.commands.send(
      SetAutomatedUpdates,
      {
        reseller,
        enabled,
        schedule: schedule
          ? {
              intervalDays: schedule.intervalDays ?? undefined,
              window: { start: schedule.window.start, end: schedule.window.end, timeZone: schedule.window.timeZone },
            }
          : null,
      },
      principal,
      call,
    );
    await this.caughtUp(patchAutomationStreamId(reseller), call);
    const automation = await this.readModel.automation(reseller);
    if (!automation) throw notShown(`automated updates of ${reseller}`, call);
    return automation;
  }

  private caughtUp(streamId: string, call: CommandCall): Promise<void> {
    return this.barrier.caughtUp(COMPLIANCE_PROJECTION, streamId, call.correlationId);
  }

  private async batchAfter(batchId: string, call: CommandCall): Promise<PatchBatch> {
    await this.caughtUp(patchBatchStreamId(batchId), call);
    const [batch] = await this.readModel.patchBatches(batchId);
    if (!batch) throw notShown(`patch batch ${batchId}`, call);
    return batch;
  }
}

/** The command succeeded, yet the read model has nothing: the service appended no event. */
function notShown(what: string, call: CommandCall) {
  return gqlError(GqlErrorCode.READ_MODEL_TIMEOUT, `The command succeeded but the read model does not show ${what}`, {
    correlationId: call.correlationId,
  });
}
