import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { ComplianceState, PatchBatchState } from './compliance.enums';

@ObjectType({ description: 'An amount of money: integer minor units (cents) and an explicit currency.' })
export class Money {
  @Field(() => Float, { description: 'Integer amount in minor units of the currency (cents): 64000 is $640.00.' })
  value!: number;

  @Field({ description: 'ISO 4217 currency code.' })
  currency!: string;
}

@ObjectType({
  description:
    "Patch compliance of an operator-hosted server, by the gateway's clock with days counted in the operator's " +
    'time zone. Counters and times are null when no install is known (BREACHED).',
})
export class ServerCompliance {
  @Field(() => Int, { nullable: true, description: 'Local calendar days since the last install: 0 on its day.' })
  daysSinceLastUpdate!: number | null;

  @Field(() => Int, { nullable: true, description: '`daysSinceLastUpdate + 1`: day 1 on the install day.' })
  dayCounter!: number | null;

  @Field(() => ComplianceState)
  state!: ComplianceState;

  @Field(() => Date, { nullable: true })
  lastInstalledAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The local midnight starting day 60 (the alert).' })
  reaches60At!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The local midnight starting day 120 (the breach).' })
  reaches120At!: Date | null;
}

@ObjectType({
  description: 'Servers by days since their last install; never-installed servers are in days120plus.',
})
export class ComplianceBuckets {
  @Field(() => Int)
  days0to29!: number;

  @Field(() => Int)
  days30to59!: number;

  @Field(() => Int)
  days60to89!: number;

  @Field(() => Int)
  days90to119!: number;

  @Field(() => Int)
  days120plus!: number;
}

@ObjectType({
  description:
    'Charges to expect within a window if nothing is installed: every server breached, or reaching 120 days on ' +
    "or before the window's last local day (today + days), costs the configured charge once.",
})
export class ChargeForecastWindow {
  @Field(() => Int, { description: 'The window: today and the next `days` local days.' })
  days!: number;

  @Field(() => Int)
  servers!: number;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType({
  description: 'Patch compliance of the operator-hosted, live servers of one reseller or of all.',
})
export class ComplianceSummary {
  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  ok!: number;

  @Field(() => Int)
  alerted!: number;

  @Field(() => Int)
  breached!: number;

  @Field(() => ComplianceBuckets)
  buckets!: ComplianceBuckets;

  @Field(() => [ChargeForecastWindow], { description: 'Windows of 30, 60 and 90 days.' })
  chargeForecast!: ChargeForecastWindow[];
}

@ObjectType({ description: 'A charge recorded against a reseller for a breached server operations patched.' })
export class Charge {
  @Field(() => ID)
  serverId!: string;

  @Field(() => ID, { description: 'Reseller charged.' })
  reseller!: string;

  @Field(() => Money)
  amount!: Money;

  @Field()
  reason!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Days without updates when operations installed them; null: no earlier install known.',
  })
  daysSinceLastUpdate!: number | null;

  @Field()
  installedAt!: Date;

  @Field({ description: 'When the charge was recorded.' })
  at!: Date;
}

@ObjectType({ description: 'Charges of a time range, oldest first, and their sum.' })
export class ChargeList {
  @Field(() => [Charge])
  items!: Charge[];

  @Field(() => Money)
  total!: Money;
}

@ObjectType({ description: "One reseller's progress on an urgent update." })
export class UrgentUpdateReseller {
  @Field(() => ID)
  reseller!: string;

  @Field(() => Int, { description: 'Affected servers of the reseller.' })
  affected!: number;

  @Field(() => Int, { description: 'Affected servers that installed the update.' })
  patched!: number;

  @Field()
  completed!: boolean;
}

@ObjectType({ description: 'An urgent update operations declared, with the progress of each affected reseller.' })
export class UrgentUpdate {
  @Field(() => ID)
  id!: string;

  @Field(() => [String])
  patches!: string[];

  @Field()
  reason!: string;

  @Field()
  declaredAt!: Date;

  @Field(() => [UrgentUpdateReseller], { description: 'A reseller sees its own row only.' })
  resellers!: UrgentUpdateReseller[];

  @Field({ description: 'Every affected server of every reseller installed it.' })
  completed!: boolean;
}

@ObjectType({ description: 'A batch of OS patches in the approval cycle.' })
export class PatchBatch {
  @Field(() => ID)
  id!: string;

  @Field(() => PatchBatchState)
  state!: PatchBatchState;

  @Field(() => [String])
  patches!: string[];

  @Field()
  downloadedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Installed on internal servers.' })
  pilotedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the 14-day watch: approval is refused before.' })
  watchEndsAt!: Date | null;

  @Field(() => Date, { nullable: true })
  approvedAt!: Date | null;
}

@ObjectType({
  description:
    'The approval cycle: operations takes the latest OS patches every 14 days (then pilots them, watches them 14 days and approves them).',
})
export class PatchCycle {
  @Field({ description: 'Days between two downloads of the latest patches.' })
  cycleDays!: number;

  @Field(() => Date, { nullable: true, description: 'Download of the newest batch; null: none yet.' })
  lastDownloadedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: '`cycleDays` after the last download; null: none yet (due now).' })
  nextDownloadDueAt!: Date | null;

  @Field({ description: "True when no batch was downloaded in the last `cycleDays` days by the gateway's clock." })
  overdue!: boolean;

  @Field(() => Date, { nullable: true, description: 'Approval of the newest approved batch: what is installed now.' })
  lastApprovedAt!: Date | null;
}

@ObjectType({ description: 'A daily local time window.' })
export class MaintenanceWindow {
  @Field({ description: 'Local time of day `HH:MM`.' })
  start!: string;

  @Field({ description: 'Local time of day `HH:MM`; before `start` crosses midnight.' })
  end!: string;

  @Field({ description: 'IANA time zone.' })
  timeZone!: string;
}

@ObjectType({ description: 'When automated OS updates run.' })
export class AutomationSchedule {
  @Field(() => Int, { description: 'Days between two automated updates of a server.' })
  intervalDays!: number;

  @Field(() => MaintenanceWindow)
  window!: MaintenanceWindow;
}

@ObjectType({ description: "A reseller's automated OS updates." })
export class PatchAutomation {
  @Field(() => ID)
  reseller!: string;

  @Field()
  enabled!: boolean;

  @Field(() => AutomationSchedule, { nullable: true, description: 'Null only while off.' })
  schedule!: AutomationSchedule | null;

  @Field()
  setAt!: Date;
}

@ObjectType({ description: 'What recording an OS-patch install did.' })
export class PatchInstallResult {
  @Field(() => ID)
  serverId!: string;

  @Field({ description: 'False: at or before the latest known install, nothing changed.' })
  recorded!: boolean;

  @Field(() => Money, { nullable: true, description: 'The charge this install recorded; null: none.' })
  charge!: Money | null;

  @Field(() => [String], { description: 'Flagged patches of an install from outside the system.' })
  unapprovedPatches!: string[];

  @Field(() => ComplianceState, { nullable: true, description: 'After the install; null for a partner-hosted server.' })
  state!: ComplianceState | null;
}

@ObjectType({ description: 'An emergency update operations recorded.' })
export class EmergencyUpdate {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  serverId!: string;

  @Field(() => ID, { description: 'Reseller notified.' })
  reseller!: string;
}

@ObjectType({ description: 'A compliance event of a server, pushed after the read model has it.' })
export class ComplianceChange {
  @Field(() => ID)
  serverId!: string;

  @Field(() => ID)
  reseller!: string;

  @Field({
    description:
      'Event type: PatchesInstalled, ComplianceAlerted, ComplianceBreached, OperationsPatchScheduled, ' +
      'ChargeRecorded, UnapprovedPatchFlagged or EmergencyUpdateRecorded.',
  })
  type!: string;

  @Field({ description: 'When it happened.' })
  at!: Date;
}
