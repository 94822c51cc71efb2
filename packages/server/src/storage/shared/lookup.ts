/**
 * Entries found by a number and one or two strings without building their string key (one
 * lookup per event in the derivation engine); the entries themselves live in a keyed map too.
 */
export class Lookup<T> {
  private readonly byNumber = new Map<number, Map<string, T | Map<string, T>>>();

  get(n: number, a: string, b?: string): T | undefined {
    const inner = this.byNumber.get(n)?.get(a);
    return b === undefined ? (inner as T | undefined) : (inner as Map<string, T> | undefined)?.get(b);
  }

  set(n: number, a: string, b: string | undefined, value: T): void {
    let byA = this.byNumber.get(n);
    if (!byA) {
      byA = new Map();
      this.byNumber.set(n, byA);
    }
    if (b === undefined) {
      byA.set(a, value);
      return;
    }
    let byB = byA.get(a) as Map<string, T> | undefined;
    if (!byB) {
      byB = new Map();
      byA.set(a, byB);
    }
    byB.set(b, value);
  }
}
