import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PING_COMMANDS, type PingReply } from '@fleetwarden/contracts';
import { PROCESS_INFO, pingReply, type ProcessInfo } from '@fleetwarden/platform';
import { INVENTORY_SERVICE_NAME } from '../inventory-service.constants';

const PING = PING_COMMANDS.inventory;

/** `Ping` on `<ns>.cmd.inventory.Ping`: proves the service is up and answering commands. */
@Controller()
export class PingHandler {
  constructor(@Inject(PROCESS_INFO) private readonly info: ProcessInfo) {}

  @MessagePattern(PING.name)
  ping(@Payload() data: unknown): PingReply {
    PING.request.parse(data ?? {});
    return pingReply(INVENTORY_SERVICE_NAME, this.info);
  }
}
