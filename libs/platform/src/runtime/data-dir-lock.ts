import * as fs from 'node:fs';
import * as path from 'node:path';

/** Exclusive use of a data folder by this process (PGlite has one writer and no lock of its own). */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

const LOCK_FILE = 'fleetwarden.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes this process's pid to `<dir>/fleetwarden.pid`. Throws when a live process holds it; a
 * file left by a process that died (kill -9, crash) is taken over.
 */
export function acquireDataDirLock(dir: string): DataDirLock {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
      if (Number.isSafeInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new Error(`it is in use by process ${holder} (${file})`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot create ${file}`);
}
