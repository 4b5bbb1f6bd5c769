import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PING_COMMANDS, type PingReply } from '@fleetwarden/contracts';
import { PROCESS_INFO, pingReply, type ProcessInfo } from '@fleetwarden/platform';
import { REDUNDANCY_SERVICE_NAME } from '../redundancy-service.constants';

const PING = PING_COMMANDS.redundancy;

/** `Ping` on `<ns>.cmd.redundancy.Ping`: proves the service is up and answering commands. */
@Controller()
export class PingHandler {
  constructor(@Inject(PROCESS_INFO) private readonly info: ProcessInfo) {}

  @MessagePattern(PING.name)
  ping(@Payload() data: unknown): PingReply {
    PING.request.parse(data ?? {});
    return pingReply(REDUNDANCY_SERVICE_NAME, this.info);
  }
}
