import { z } from 'zod';

/** Ids of servers, resellers, companies and groups: one NATS subject token, so they can name subjects. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
  .describe('Identifier: 1-64 of [A-Za-z0-9_-].');

/** Stage of a server's image. */
export const STAGES = ['beta', 'production', 'patch'] as const;
export const stageSchema = z.enum(STAGES).describe('Stage of the server image.');
export type Stage = z.output<typeof stageSchema>;

/** Who hosts the server: the operator itself (patch policy applies) or a partner. */
export const HOSTING_PROVIDERS = ['operator', 'partner'] as const;
export const hostingProviderSchema = z.enum(HOSTING_PROVIDERS).describe('operator-hosted or partner-hosted.');
export type HostingProvider = z.output<typeof hostingProviderSchema>;

/** Product version (`9.0.0.200`): dot-separated numbers. */
export const versionSchema = z
  .string()
  .regex(/^\d+(\.\d+){1,4}$/, 'dot-separated numbers, e.g. 9.0.0.200')
  .describe('Version: 2-5 dot-separated numbers (`9.0.0.200`).');

export const namedRefSchema = z
  .object({ id: idSchema, name: z.string().min(1).max(200) })
  .describe('A reference with its display name.');
export type NamedRef = z.output<typeof namedRefSchema>;

const ip = z.union([z.ipv4(), z.ipv6()]);

/** Host configuration of a server (the Server page's config view). */
export const hostConfigSchema = z
  .object({
    fqdn: z.string().min(1).max(253),
    hostName: z.string().min(1).max(253),
    publicIp: ip.nullable(),
    privateIp: ip.nullable(),
  })
  .describe('FQDN, host name, public and private IP.');
export type HostConfig = z.output<typeof hostConfigSchema>;

/** One installed file (EXE/DLL) of the Server page's version view. */
export const installedFileSchema = z
  .object({
    name: z.string().min(1).max(260),
    version: z.string().min(1).max(64).describe('File version, or `unknown`.'),
    size: z.number().int().nonnegative().describe('Bytes.'),
    lastModified: z.iso.datetime({ offset: true }),
  })
  .describe('An installed file.');
export type InstalledFile = z.output<typeof installedFileSchema>;

export const filesSchema = z.array(installedFileSchema).max(5000);

/** Product versions a server runs. */
export const productVersionsSchema = z
  .object({
    serverVersion: versionSchema.describe('Server image version.'),
    webAppsVersion: versionSchema.nullable().describe('Web-apps version; null when not installed.'),
  })
  .describe('Product versions.');
export type ProductVersions = z.output<typeof productVersionsSchema>;

/** Stream of one server's events. */
export const serverStreamId = (serverId: string): string => `server-${serverId}`;
/** Stream of one group's events. */
export const groupStreamId = (groupId: string): string => `group-${groupId}`;
