import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PING_COMMANDS, type PingReply } from '@fleetwarden/contracts';
import { PROCESS_INFO, pingReply, type ProcessInfo } from '@fleetwarden/platform';
import { COMPLIANCE_SERVICE_NAME } from '../compliance-service.constants';

const PING = PING_COMMANDS.compliance;

/** `Ping` on `<ns>.cmd.compliance.Ping`: proves the service is up and answering commands. */
@Controller()
export class PingHandler {
  constructor(@Inject(PROCESS_INFO) private readonly info: ProcessInfo) {}

  @MessagePattern(PING.name)
  ping(@Payload() data: unknown): PingReply {
    PING.request.parse(data ?? {});
    return pingReply(COMPLIANCE_SERVICE_NAME, this.info);
  }
}
