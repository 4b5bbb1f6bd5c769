import { Injectable } from '@nestjs/common';
import { InventoryCommands } from '../inventory/inventory-commands';

/**
 * Sends commands to the scheduling service over NATS (`<ns>.cmd.scheduling.*`) with the caller's
 * metadata; failures become GraphQL errors exactly as for the inventory (the command's context
 * names the service).
 */
@Injectable()
export class SchedulingCommands extends InventoryCommands {}
