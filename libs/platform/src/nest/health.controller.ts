import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthRegistry, type HealthReport } from '../health/health-registry';

/** `GET /health`: every registered part's state; 200 when all are up, 503 otherwise. */
@Controller()
export class HealthController {
  constructor(private readonly health: HealthRegistry) {}

  @Get('health')
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.health.check();
    reply.status(report.status === 'ok' ? 200 : 503);
    reply.header('cache-control', 'no-store');
    return report;
  }
}
