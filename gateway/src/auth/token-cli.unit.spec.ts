import { parseTokenFlags } from './token-cli';

describe('npm run token flags', () => {
  it('defaults sub to the role and ttl to 12 hours', () => {
    expect(parseTokenFlags(['--role', 'operator'])).toEqual({
      claims: { sub: 'operator', role: 'operator' },
      ttlSeconds: 43_200,
    });
  });

  it('takes a reseller, a sub and a ttl', () => {
    expect(parseTokenFlags(['--role', 'reseller', '--reseller', 'r-7', '--sub', 'dana', '--ttl', '30m'])).toEqual({
      claims: { sub: 'dana', role: 'reseller', reseller: 'r-7' },
      ttlSeconds: 1800,
    });
  });

  it.each([
    [[], /--role is required/],
    [['--role', 'root'], /--role must be one of operator, reseller, auditor/],
    [['--role', 'reseller'], /--reseller ID is required/],
    [['--role', 'operator', '--reseller', 'r1'], /only valid with --role reseller/],
    [['--role', 'reseller', '--reseller', 'bad id'], /--reseller/],
    [['--role', 'auditor', '--ttl', 'forever'], /--ttl/],
    [['--role', 'auditor', '--colour', 'red'], /Unknown option '--colour'/],
    [['--role', 'auditor', 'extra'], /positional/i],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTokenFlags(argv as string[])).toThrow(message);
  });
});
