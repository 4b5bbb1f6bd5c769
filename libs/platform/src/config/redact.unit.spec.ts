import { passwordOf, redactUrl, scrub } from './redact';

describe('redactUrl', () => {
  it('hides the password', () => {
    expect(redactUrl('postgres://fleet:s3cr%40t@db:5432/fleet')).toBe('postgres://fleet:***@db:5432/fleet');
    expect(redactUrl('nats://u:p@127.0.0.1:4222')).toBe('nats://u:***@127.0.0.1:4222');
  });

  it('hides the password of every URL of a list', () => {
    expect(redactUrl('nats://a:p1@h1:4222,nats://b:p2@h2:4222')).toBe('nats://a:***@h1:4222,nats://b:***@h2:4222');
  });

  it('leaves URLs without a password alone', () => {
    expect(redactUrl('postgres://fleet@db/fleet')).toBe('postgres://fleet@db/fleet');
    expect(redactUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });
});

describe('scrub and passwordOf', () => {
  it('remove a decoded password from an error text', () => {
    const password = passwordOf('postgres://fleet:s3cr%40t@db/fleet');
    expect(password).toBe('s3cr@t');
    expect(scrub('auth failed for s3cr@t', password)).toBe('auth failed for ***');
  });
});
