import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { formatPath, isValidNamespace } from '@fleetwarden/contracts';
import { UPDATE_COMPONENTS, type UpdateComponent } from '@fleetwarden/execution-contracts';
import {
  hostingProviderSchema,
  idSchema,
  namedRefSchema,
  stageSchema,
  type HostConfig,
} from '@fleetwarden/inventory-contracts';
import { StartupError } from '@fleetwarden/platform';
import type { AgentIdentity } from '../common/agent-publisher';
import { redundancyConfigSchema, toRedundancyConfig, type AgentRedundancyConfig } from './redundancy-config';

/** Defaults of the optional fields of an agent config file. */
export const AGENT_CONFIG_DEFAULTS = {
  namespace: 'fleet',
  heartbeatIntervalSec: 10,
  reprobeEveryHeartbeats: 6,
} as const;

/** The agent config file is missing, unreadable, not JSON, or has an invalid field (named in the message). */
export class AgentConfigError extends StartupError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AGENT.CONFIG_INVALID', message, options);
  }
}

/** How the agent authenticates to NATS: user and password, a token, or a `.creds` file. */
export type NatsCredentials = { user: string; pass: string } | { token: string } | { credsFile: string };

/**
 * Shell commands (`/bin/sh -c`) that update one component, one per phase. They run in the
 * config file's directory with `FLEETWARDEN_COMPONENT`, `FLEETWARDEN_VERSION`,
 * `FLEETWARDEN_JOB_ID` and `FLEETWARDEN_PHASE` set; exit code 0 means success.
 */
export interface ComponentUpdateCommands {
  download?: string;
  install: string;
  restart?: string;
  /** The functional check: the update is validated when it exits 0. */
  validate: string;
}

/** How this server installs updates: the commands per component, and where they run. */
export interface AgentUpdateConfig {
  /** Working directory of the commands (the config file's directory). */
  workDir: string;
  components: Partial<Record<UpdateComponent, ComponentUpdateCommands>>;
}

/**
 * How this server installs OS patches: `installCommand` is an argv (no shell) to which the patch
 * ids are appended; it runs in the config file's directory with `FLEETWARDEN_JOB_ID` set and must
 * exit 0 within `timeoutSec`.
 */
export interface AgentPatchConfig {
  workDir: string;
  installCommand: string[];
  timeoutSec: number;
}

/** Default `patches.timeoutSec`: one hour. */
export const DEFAULT_PATCH_TIMEOUT_SEC = 3600;

/** A validated agent config; paths are absolute. */
export interface AgentConfig {
  serverId: string;
  natsUrl: string;
  credentials?: NatsCredentials;
  namespace: string;
  /** Seconds of clock time between heartbeats (announced in the hello). */
  heartbeatIntervalSec: number;
  /** The probes run again every this many heartbeats; a change is sent as a report. */
  reprobeEveryHeartbeats: number;
  identity: AgentIdentity;
  /** JSON file with `serverVersion` and `webAppsVersion`. */
  manifestPath: string;
  /** Directory whose files are reported. */
  filesDir: string;
  /** Values that replace what the host-config probe finds. */
  hostConfig: Partial<HostConfig>;
  /** Update commands; without them the agent refuses every update. */
  update?: AgentUpdateConfig;
  /** The OS-patch install command; without it the agent refuses every `install-patches`. */
  patches?: AgentPatchConfig;
  /** Keep-alive probes and control commands; without them the agent is in no redundancy pair. */
  redundancy?: AgentRedundancyConfig;
}

const ip = z.union([z.ipv4(), z.ipv6()]);

function isNatsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return ['nats:', 'tls:'].includes(u.protocol) && u.hostname.length > 0;
  } catch {
    return false;
  }
}

const natsUrlSchema = z.string().refine((s) => {
  const urls = s
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  return urls.length > 0 && urls.every(isNatsUrl);
}, 'must be a nats:// or tls:// URL (several separated by commas)');

const credentialsSchema = z
  .object({
    user: z.string().min(1).optional(),
    pass: z.string().optional(),
    token: z.string().min(1).optional(),
    credsFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const kinds = [c.user !== undefined || c.pass !== undefined, c.token !== undefined, c.credsFile !== undefined];
    if (kinds.filter(Boolean).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of user+pass, token or credsFile' });
    } else if (kinds[0] && (c.user === undefined || c.pass === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.user === undefined ? 'user' : 'pass'], message: 'user needs pass' });
    }
  });

const shellCommand = z.string().trim().min(1, 'must be a non-empty shell command').max(10_000);

const componentCommandsSchema = z
  .object({
    download: shellCommand.optional(),
    install: shellCommand,
    restart: shellCommand.optional(),
    validate: shellCommand,
  })
  .strict();

const updateSchema = z
  .object(
    Object.fromEntries(UPDATE_COMPONENTS.map((c) => [c, componentCommandsSchema.optional()])) as Record<
      UpdateComponent,
      z.ZodOptional<typeof componentCommandsSchema>
    >,
  )
  .strict();

const patchesSchema = z
  .object({
    installCommand: z
      .array(z.string().min(1, 'must be a non-empty argument').max(10_000))
      .min(1, 'must give the program (an argv array; the patch ids are appended)')
      .max(100),
    timeoutSec: z.number().int().positive().max(86_400).default(DEFAULT_PATCH_TIMEOUT_SEC),
  })
  .strict();

const agentConfigSchema = z
  .object({
    serverId: idSchema,
    natsUrl: natsUrlSchema,
    credentials: credentialsSchema.optional(),
    namespace: z
      .string()
      .refine(isValidNamespace, 'must be 1-32 lowercase letters, digits or underscores, starting with a letter')
      .optional(),
    heartbeatIntervalSec: z.number().positive().max(3600).default(AGENT_CONFIG_DEFAULTS.heartbeatIntervalSec),
    reprobeEveryHeartbeats: z.number().int().min(1).max(100_000).default(AGENT_CONFIG_DEFAULTS.reprobeEveryHeartbeats),
    identity: z
      .object({
        reseller: namedRefSchema.strict(),
        company: namedRefSchema.strict(),
        address: z.string().max(500),
        stage: stageSchema,
        hostingProvider: hostingProviderSchema,
      })
      .strict(),
    manifestPath: z.string().min(1),
    filesDir: z.string().min(1),
    hostConfig: z
      .object({
        fqdn: z.string().min(1).max(253).optional(),
        hostName: z.string().min(1).max(253).optional(),
        publicIp: ip.nullable().optional(),
        privateIp: ip.nullable().optional(),
      })
      .strict()
      .optional(),
    update: updateSchema.optional(),
    patches: patchesSchema.optional(),
    redundancy: redundancyConfigSchema.optional(),
  })
  .strict();

export interface ParseAgentConfigOptions {
  /** Directory that relative paths are resolved against (the config file's). */
  baseDir: string;
  /** Namespace when the file gives none (`FLEETWARDEN_NAMESPACE`, else `fleet`). */
  defaultNamespace?: string;
  /** Names the config in error messages. */
  source?: string;
}

/** Validates a parsed config file; throws {@link AgentConfigError} naming every invalid field. */
export function parseAgentConfig(value: unknown, options: ParseAgentConfigOptions): AgentConfig {
  const source = options.source ?? 'agent config';
  const result = agentConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new AgentConfigError(`Invalid ${source}: ${problems.join('; ')}`, { cause: result.error });
  }
  const c = result.data;
  const resolve = (p: string) => path.resolve(options.baseDir, p);
  let credentials: NatsCredentials | undefined;
  if (c.credentials?.token !== undefined) credentials = { token: c.credentials.token };
  else if (c.credentials?.credsFile !== undefined) credentials = { credsFile: resolve(c.credentials.credsFile) };
  else if (c.credentials?.user !== undefined)
    credentials = { user: c.credentials.user, pass: c.credentials.pass ?? '' };
  return {
    serverId: c.serverId,
    natsUrl: c.natsUrl,
    credentials,
    namespace: c.namespace ?? options.defaultNamespace ?? AGENT_CONFIG_DEFAULTS.namespace,
    heartbeatIntervalSec: c.heartbeatIntervalSec,
    reprobeEveryHeartbeats: c.reprobeEveryHeartbeats,
    identity: c.identity,
    manifestPath: resolve(c.manifestPath),
    filesDir: resolve(c.filesDir),
    hostConfig: c.hostConfig ?? {},
    ...(c.update ? { update: { workDir: path.resolve(options.baseDir), components: definedOnly(c.update) } } : {}),
    ...(c.patches
      ? {
          patches: {
            workDir: path.resolve(options.baseDir),
            installCommand: c.patches.installCommand,
            timeoutSec: c.patches.timeoutSec,
          },
        }
      : {}),
    ...(c.redundancy ? { redundancy: toRedundancyConfig(c.redundancy, path.resolve(options.baseDir)) } : {}),
  };
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Reads and validates an agent config file; relative paths in it are relative to the file. */
export function loadAgentConfigFile(file: string, options: { defaultNamespace?: string } = {}): AgentConfig {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new AgentConfigError(`Cannot read agent config ${absolute}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError(`Agent config ${absolute} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseAgentConfig(value, {
    baseDir: path.dirname(absolute),
    defaultNamespace: options.defaultNamespace,
    source: `agent config ${absolute}`,
  });
}
