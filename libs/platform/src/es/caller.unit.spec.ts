import { authorize, canSee } from './caller';

describe('authorize', () => {
  it('lets operators and the system send every command', () => {
    expect(authorize({ role: 'operator' }, 'RegisterServer', { operatorOnly: true })).toMatchObject({
      role: 'operator',
      reseller: null,
    });
    expect(authorize({ role: 'system' }, 'CreateGroup')).toMatchObject({ role: 'system', reseller: null });
  });

  it('lets a reseller act for its own tenant, except on operator-only commands', () => {
    expect(authorize({ role: 'reseller', reseller: 'r1' }, 'CreateGroup')).toMatchObject({
      role: 'reseller',
      reseller: 'r1',
    });
    expect(() => authorize({ role: 'reseller', reseller: 'r1' }, 'RegisterServer', { operatorOnly: true })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
    expect(() => authorize({ role: 'reseller' }, 'CreateGroup')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
  });

  it.each([[{ role: 'auditor' }], [{ role: 'agent' }], [{}], [undefined]])('refuses %j', (meta) => {
    expect(() => authorize(meta, 'RenameGroup')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('answers malformed meta with a validation error naming the field', () => {
    expect(() => authorize({ role: 'king' }, 'RenameGroup')).toThrow(
      expect.objectContaining({ code: 'VALIDATION', message: expect.stringContaining('role') }),
    );
  });
});

describe('canSee', () => {
  const operator = authorize({ role: 'operator' }, 'X');
  const reseller = authorize({ role: 'reseller', reseller: 'r1' }, 'X');

  it("shows a reseller only its own tenant's data", () => {
    expect(canSee(reseller, 'r1')).toBe(true);
    expect(canSee(reseller, 'r2')).toBe(false);
    expect(canSee(reseller, null)).toBe(false);
  });

  it('shows operators everything', () => {
    expect(canSee(operator, 'r2')).toBe(true);
    expect(canSee(operator, null)).toBe(true);
  });
});
