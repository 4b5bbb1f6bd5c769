import { Field, InputType, Int } from '@nestjs/graphql';
import { DEFAULT_AUTOMATION_INTERVAL_DAYS } from '@fleetwarden/compliance-contracts';
import { MaintenanceWindowInput } from '../../scheduling/models/scheduling.inputs';

@InputType({ description: 'Every `intervalDays` days (1-59), inside the daily maintenance window.' })
export class AutomationScheduleInput {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_AUTOMATION_INTERVAL_DAYS })
  intervalDays?: number | null;

  @Field(() => MaintenanceWindowInput)
  window!: MaintenanceWindowInput;
}
