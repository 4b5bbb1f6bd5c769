import { z } from 'zod';
import { idSchema, isoDateTimeSchema } from './shared';

/** What a component of an HA cluster is: a server, or a load balancer in front of the servers. */
export const HA_COMPONENT_ROLES = ['server', 'load-balancer'] as const;
export const haComponentRoleSchema = z.enum(HA_COMPONENT_ROLES);
export type HaComponentRole = z.output<typeof haComponentRoleSchema>;

/** Components of one HA cluster: at least two, at most twenty. */
export const HA_MIN_COMPONENTS = 2;
export const HA_MAX_COMPONENTS = 20;

/** Port an agent connects to when a component's address names none (the messaging port). */
export const HA_DEFAULT_MESSAGING_PORT = 4222;

/** The members' clocks must differ from the control plane's by less than this. */
export const HA_CLOCK_SKEW_LIMIT_MS = 60_000;

/** A messaging round trip above this is reported `SLOW`. */
export const HA_SLOW_TRANSFER_MS = 1000;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS_PATTERN = new RegExp(`^(\\[[0-9A-Fa-f:.]+\\]|${LABEL}(?:\\.${LABEL})*)(?::(\\d{1,5}))?$`);

/**
 * `host` or `host:port` of a component: a host name, an IPv4 address or a bracketed IPv6 address
 * (`[fd00::1]:4222`); without a port, agents use {@link HA_DEFAULT_MESSAGING_PORT}.
 */
export function parseHaAddress(address: string): { host: string; port: number | null } | null {
  const match = ADDRESS_PATTERN.exec(address);
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65_535)) return null;
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return { host, port };
}

export const haAddressSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((a) => parseHaAddress(a) !== null, 'host or host:port (port 1-65535; IPv6 in brackets)')
  .describe(`host or host:port; port ${HA_DEFAULT_MESSAGING_PORT} when none.`);

/** One component of an HA cluster as configured. */
export const haComponentSchema = z
  .object({
    serverId: idSchema,
    role: haComponentRoleSchema,
    address: haAddressSchema.describe('Where the other components reach its messaging: host or host:port.'),
  })
  .strict();
export type HaComponent = z.output<typeof haComponentSchema>;

/** A component as a report names it. */
export const haComponentRefSchema = z.object({ serverId: idSchema, role: haComponentRoleSchema }).strict();

/**
 * Result of the messaging check from one component to another: `OK` (with the transfer time),
 * `SLOW` (above {@link HA_SLOW_TRANSFER_MS}), `NO_CONNECTION` (the component ran but could not
 * reach the other), `COMPONENT_DOWN` (one of the two did not answer the check).
 */
export const HA_MESSAGING_RESULTS = ['OK', 'SLOW', 'NO_CONNECTION', 'COMPONENT_DOWN'] as const;
export const haMessagingResultSchema = z.enum(HA_MESSAGING_RESULTS);
export type HaMessagingResult = z.output<typeof haMessagingResultSchema>;

/** Result of a component's clock: within a minute, off by a minute or more, or not read (it did not answer). */
export const HA_CLOCK_RESULTS = ['CLOCK_OK', 'CLOCK_SKEW', 'CLOCK_UNKNOWN'] as const;
export const haClockResultSchema = z.enum(HA_CLOCK_RESULTS);
export type HaClockResult = z.output<typeof haClockResultSchema>;

/** Where the checked components came from: a configured HA cluster, or the two members of a redundancy pair. */
export const HA_CLUSTER_SOURCES = ['cluster', 'pair'] as const;
export const haClusterSourceSchema = z.enum(HA_CLUSTER_SOURCES);

const recommendation = z.string().min(1).max(1000).nullable().describe('What to do; null when all is well.');
const detail = z
  .string()
  .max(1000)
  .nullable()
  .describe('What was observed (the agent\'s error, "no reply within 3000 ms"); null when all is well.');

/** One row of the messaging tab: `from` measured its round trip to `to`. */
export const haMessagingCheckSchema = z.object({
  from: haComponentRefSchema,
  to: haComponentRefSchema,
  result: haMessagingResultSchema,
  transferTimeMs: z
    .number()
    .nonnegative()
    .nullable()
    .describe('Round trip `from` measured to `to`, in ms; null unless OK or SLOW.'),
  recommendation,
  detail,
});
export type HaMessagingCheck = z.output<typeof haMessagingCheckSchema>;

/** One row of the clock tab: a component's clock against the control plane's. */
export const haClockCheckSchema = z.object({
  server: haComponentRefSchema,
  skewMs: z.number().nullable().describe("Component's clock minus the control plane's, in ms; null when not read."),
  result: haClockResultSchema,
  recommendation,
  detail,
});
export type HaClockCheck = z.output<typeof haClockCheckSchema>;

/** The outcome of one HA health check. */
export const haHealthReportSchema = z.object({
  clusterId: idSchema,
  checkId: z.string().min(1).max(100),
  at: isoDateTimeSchema.describe("Control plane's clock when the check ended."),
  source: haClusterSourceSchema,
  components: z.array(haComponentRefSchema).min(HA_MIN_COMPONENTS).max(HA_MAX_COMPONENTS),
  messaging: z.array(haMessagingCheckSchema).describe('One row per ordered pair of components.'),
  clocks: z.array(haClockCheckSchema).describe('One row per component.'),
});
export type HaHealthReport = z.output<typeof haHealthReportSchema>;

/** Stream of one HA cluster: its configuration and its health checks (for a pair id: the pair's checks). */
export const haClusterStreamId = (clusterId: string): string => `ha-cluster-${clusterId}`;
