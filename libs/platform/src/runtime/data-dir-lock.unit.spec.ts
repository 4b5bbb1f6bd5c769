import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireDataDirLock } from './data-dir-lock';

describe('acquireDataDirLock', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-lock-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder a live process holds', () => {
    fs.writeFileSync(path.join(dir, 'fleetwarden.pid'), `${process.ppid}\n`);
    expect(() => acquireDataDirLock(dir)).toThrow(`it is in use by process ${process.ppid}`);
  });

  it('takes over from a process that died', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, 'fleetwarden.pid'), `${dead}\n`);
    const lock = acquireDataDirLock(dir);
    expect(fs.readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
  });
});
