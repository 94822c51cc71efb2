/**
 * A test hook: with `MCPSIGHT_TEST_KILL_AT=<point>` the process kills itself (SIGKILL, as a power
 * cut or `kill -9` would) when it reaches that point, so tests can prove what survives a crash
 * there. Points: `first-start` (inside the first-start transaction, after its first write).
 */
export function killPoint(point: string): void {
  if (process.env.MCPSIGHT_TEST_KILL_AT === point) process.kill(process.pid, "SIGKILL");
}
