import { compareVersions, impliedSchemaVersion, isSchemaVersion, isVersion } from './versions';

describe('versions', () => {
  it('compares numerically per part, not as text', () => {
    expect(compareVersions('6.09', '6.10')).toBe(-1);
    expect(compareVersions('6.10', '6.9')).toBe(1);
    expect(compareVersions('6.10.140', '6.10.120')).toBe(1);
    expect(compareVersions('9.0.0.200', '9.0.0.200')).toBe(0);
    expect(compareVersions('10.0', '9.99')).toBe(1);
  });

  it('counts a missing part as 0', () => {
    expect(compareVersions('6.10', '6.10.0')).toBe(0);
    expect(compareVersions('6.10', '6.10.1')).toBe(-1);
  });

  it('takes major.minor as the implied schema version', () => {
    expect(impliedSchemaVersion('9.0.0.200')).toBe('9.0');
    expect(impliedSchemaVersion('6.10.140')).toBe('6.10');
  });

  it('recognises versions and schema versions', () => {
    expect(isVersion('9.0.0.200')).toBe(true);
    expect(isVersion('9')).toBe(false);
    expect(isVersion('9.x')).toBe(false);
    expect(isSchemaVersion('6.10')).toBe(true);
    expect(isSchemaVersion('6.10.1')).toBe(false);
  });
});
