import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { GqlErrorCode, gqlError } from '../graphql/graphql-errors';
import { ReadModelDb } from './read-model-db';

const POLL_MS = 15;

/**
 * Read-your-writes for mutations: after a command's reply, waits until a projection has applied
 * every event of the command's stream that is stored now (its checkpoint has reached the
 * stream's last event in the global read order).
 */
@Injectable()
export class ProjectionBarrier {
  constructor(
    private readonly db: ReadModelDb,
    @Inject(GATEWAY_OPTIONS) private readonly options: Required<GatewayOptions>,
  ) {}

  /** Resolves once `projection` has caught up with `streamId`; READ_MODEL_TIMEOUT after the wait limit. */
  async caughtUp(projection: string, streamId: string, correlationId: string): Promise<void> {
    const s = this.db.schema;
    const { rows } = await this.db.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position::text AS pos FROM ${s}.events
        WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`,
      [streamId],
    );
    if (rows.length === 0) return;
    const { tx, pos } = rows[0];
    const deadline = Date.now() + this.options.readModelWaitMs;
    for (;;) {
      const done = await this.db.query<{ done: boolean }>(
        `SELECT (transaction_id, global_position) >= ($2::xid8, $3::bigint) AS done
           FROM ${s}.checkpoints WHERE name = $1`,
        [projection, tx, pos],
      );
      if (done.rows[0]?.done) return;
      if (Date.now() > deadline) {
        throw gqlError(
          GqlErrorCode.READ_MODEL_TIMEOUT,
          `The command succeeded but the read model did not show it within ${this.options.readModelWaitMs} ms; ` +
            'query again shortly',
          { correlationId },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
