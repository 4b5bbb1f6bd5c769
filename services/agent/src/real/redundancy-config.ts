import { z } from 'zod';
import { parseHaAddress } from '@fleetwarden/redundancy-contracts';

/** Defaults of the optional fields of the `redundancy` section. */
export const REDUNDANCY_CONFIG_DEFAULTS = {
  keepAliveIntervalSec: 5,
  probeTimeoutSec: 2,
  controlTimeoutSec: 60,
} as const;

/**
 * What the keep-alive reports, each found by a shell command (`/bin/sh -c`, in the config file's
 * directory) except `peer`. Services are `up` when their command exits 0; `inControl` is true
 * when its command exits 0; `replication` prints `monitoring`, `synchronizing` or `updated`.
 */
export interface RedundancyProbeCommands {
  switching: string;
  ipPhone: string;
  keepAlive: string;
  inControl: string;
  replication: string;
  /** `host:port` of the peer: reachable when a TCP connect succeeds within 2 s. */
  peer: string;
}

/** How this server takes part in a redundancy pair: its keep-alive and its control commands. */
export interface AgentRedundancyConfig {
  /** Working directory of the commands (the config file's directory). */
  workDir: string;
  /** Seconds of clock time between keep-alives. */
  keepAliveIntervalSec: number;
  /** A probe command running longer than this (real seconds) is killed and counts as failed. */
  probeTimeoutSec: number;
  /** `assumeControl` / `releaseControl` running longer than this (real seconds) is killed: the request fails. */
  controlTimeoutSec: number;
  probes: RedundancyProbeCommands;
  /** Run on `assume-control`; exit 0 confirms the request. */
  assumeControl: string;
  /** Run on `release-control`; exit 0 confirms the request. */
  releaseControl: string;
}

const shellCommand = z.string().trim().min(1, 'must be a non-empty shell command').max(10_000);

/** `host:port`, the port required (IPv6 in brackets). */
export function isHostAndPort(value: string): boolean {
  const address = parseHaAddress(value);
  return address !== null && address.port !== null;
}

export const redundancyConfigSchema = z
  .object({
    keepAliveIntervalSec: z.number().positive().max(3600).default(REDUNDANCY_CONFIG_DEFAULTS.keepAliveIntervalSec),
    probeTimeoutSec: z.number().positive().max(600).default(REDUNDANCY_CONFIG_DEFAULTS.probeTimeoutSec),
    controlTimeoutSec: z.number().positive().max(3600).default(REDUNDANCY_CONFIG_DEFAULTS.controlTimeoutSec),
    probes: z
      .object({
        switching: shellCommand,
        ipPhone: shellCommand,
        keepAlive: shellCommand,
        inControl: shellCommand,
        replication: shellCommand,
        peer: z.string().refine(isHostAndPort, 'must be host:port (port 1-65535; IPv6 in brackets)'),
      })
      .strict(),
    assumeControl: shellCommand,
    releaseControl: shellCommand,
  })
  .strict();

export type RedundancyConfigInput = z.output<typeof redundancyConfigSchema>;

/** The validated section, its commands to run in `workDir`. */
export function toRedundancyConfig(section: RedundancyConfigInput, workDir: string): AgentRedundancyConfig {
  return {
    workDir,
    keepAliveIntervalSec: section.keepAliveIntervalSec,
    probeTimeoutSec: section.probeTimeoutSec,
    controlTimeoutSec: section.controlTimeoutSec,
    probes: { ...section.probes },
    assumeControl: section.assumeControl,
    releaseControl: section.releaseControl,
  };
}
