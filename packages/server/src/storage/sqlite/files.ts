import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The database holds every event and the password and token hashes, so its files are the
 * collector user's alone, whatever the umask: the directory 0700, the files 0600.
 */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** Files SQLite writes beside the database. */
const SIDE_FILES = ["-wal", "-shm", "-journal"];

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Creates the database's directory (0700) and file (0600) if missing, and tightens the file and
 * its WAL, shared-memory and journal files if they are open to others. SQLite creates the WAL and
 * shared-memory files with the database file's mode, so they are 0600 too. With `ownDirectory`
 * (the data directory, which holds nothing else) an existing directory is tightened as well; a
 * directory merely named by a database path is left as it is. Returns a line per change made.
 */
export function securePaths(path: string, ownDirectory: boolean): string[] {
  const notices: string[] = [];
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    chmodSync(dir, DIR_MODE);
  } else if (ownDirectory) {
    const mode = statSync(dir).mode & 0o777;
    if (mode !== DIR_MODE) {
      chmodSync(dir, DIR_MODE);
      notices.push(`tightened the data directory ${dir} from ${octal(mode)} to ${octal(DIR_MODE)}`);
    }
  }
  if (!existsSync(path)) {
    closeSync(openSync(path, "a", FILE_MODE));
    chmodSync(path, FILE_MODE);
  }
  for (const file of [path, ...SIDE_FILES.map((suffix) => `${path}${suffix}`)]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if (mode === FILE_MODE) continue;
    chmodSync(file, FILE_MODE);
    notices.push(`tightened ${file} from ${octal(mode)} to ${octal(FILE_MODE)}`);
  }
  return notices;
}
