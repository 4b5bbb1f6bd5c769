const VERSION = /^\d+(\.\d+){1,4}$/;
const SCHEMA_VERSION = /^\d+\.\d+$/;

/** True for a product version of 2-5 dot-separated numbers (`9.0.0.200`). */
export const isVersion = (value: string): boolean => VERSION.test(value);

/** True for a database-schema version `major.minor` (`6.10`). */
export const isSchemaVersion = (value: string): boolean => SCHEMA_VERSION.test(value);

/**
 * Compares dot-separated versions numerically per part (`6.09` < `6.10`, `6.10.120` < `6.10.140`);
 * a missing part counts as 0. Negative when `a` is older, positive when newer, 0 when equal.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** The `major.minor` of a version, used as its schema version when the catalog does not know it. */
export function impliedSchemaVersion(version: string): string {
  const [major = '0', minor = '0'] = version.split('.');
  return `${major}.${minor}`;
}
