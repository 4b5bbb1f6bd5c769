import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PING_COMMANDS, type PingReply } from '@fleetwarden/contracts';
import { PROCESS_INFO, pingReply, type ProcessInfo } from '@fleetwarden/platform';
import { SCHEDULING_SERVICE_NAME } from '../scheduling-service.constants';

const PING = PING_COMMANDS.scheduling;

/** `Ping` on `<ns>.cmd.scheduling.Ping`: proves the service is up and answering commands. */
@Controller()
export class PingHandler {
  constructor(@Inject(PROCESS_INFO) private readonly info: ProcessInfo) {}

  @MessagePattern(PING.name)
  ping(@Payload() data: unknown): PingReply {
    PING.request.parse(data ?? {});
    return pingReply(SCHEDULING_SERVICE_NAME, this.info);
  }
}
