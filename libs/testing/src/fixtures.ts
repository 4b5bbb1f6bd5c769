/**
 * The data of an inventory `ServerRegistered` event with plausible values, for tests and
 * benchmarks that feed another context's view: reseller `reseller` (named after its id), company
 * `<reseller>-co`, image `9.0.0.200`, web apps `6.10.140`, production, operator-hosted, registered
 * by its agent. `overrides` replaces fields.
 */
export function serverRegisteredData(
  serverId: string,
  reseller: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    serverId,
    reseller: { id: reseller, name: reseller },
    company: { id: `${reseller}-co`, name: 'Co' },
    address: '',
    serverVersion: '9.0.0.200',
    webAppsVersion: '6.10.140',
    stage: 'production',
    hostingProvider: 'operator',
    registeredBy: 'agent',
    ...overrides,
  };
}
