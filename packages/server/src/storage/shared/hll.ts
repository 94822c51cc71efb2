/**
 * HyperLogLog distinct-count sketches (2^12 registers, standard error ≈ 1.04/√4096 ≈ 1.6 %), used
 * for "unique users per tool" over any range: one sketch per tool per hour and per day is kept at
 * ingest and the sketches of a range are merged (register-wise max) at query time. Both backends
 * hash and encode here, so they hold the same registers and report the same estimate.
 *
 * Stored encoding (`encodeSketch`): empty → 0 bytes; fewer than 1,366 non-zero registers → sparse
 * triples (register index as 2 bytes big-endian, then its value), in index order; otherwise dense
 * (4,096 bytes, one per register). The PostgreSQL function `mcpsight_hll_apply` reads the same.
 */
export const HLL_P = 12;
export const HLL_REGISTERS = 1 << HLL_P;
/** Bits of the 64-bit hash left after the register index; register values are 1…Q+1. */
const Q = 64 - HLL_P;
const LOW_BITS = 32 - HLL_P;
const LOW_MASK = (1 << LOW_BITS) - 1;

const utf8 = new TextEncoder();

/** MurmurHash3 (x86, 32-bit) of `bytes`. */
export function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (bytes.length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: MurmurHash3's tail
    case 3:
      k ^= (bytes[blocks + 2] as number) << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: MurmurHash3's tail
    case 2:
      k ^= (bytes[blocks + 1] as number) << 8;
    case 1:
      k ^= bytes[blocks] as number;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A value's place in a sketch: the register it falls into and the value it contributes there. */
export interface Register {
  index: number;
  rank: number;
}

/**
 * The register a value falls into and the value it contributes (position of the first 1-bit of
 * the remaining 52 hash bits, 1…53). The 64-bit hash is two MurmurHash3 runs of the UTF-8 bytes.
 */
export function registerOf(value: string): Register {
  const bytes = utf8.encode(value);
  const high = murmur3(bytes, 0x5f3759df);
  const low = murmur3(bytes, 0x9e3779b9);
  const rest = high & LOW_MASK;
  const rank = rest !== 0 ? Math.clz32(rest) - HLL_P + 1 : low !== 0 ? LOW_BITS + Math.clz32(low) + 1 : Q + 1;
  return { index: high >>> LOW_BITS, rank };
}

export const emptyRegisters = (): Uint8Array => new Uint8Array(HLL_REGISTERS);

/** Adds `value` to `registers` in place; true when a register grew. */
export function addValue(registers: Uint8Array, value: string): boolean {
  const { index, rank } = registerOf(value);
  if ((registers[index] as number) >= rank) return false;
  registers[index] = rank;
  return true;
}

/** Merges an encoded sketch into `registers` in place (register-wise max). */
export function mergeEncoded(registers: Uint8Array, encoded: Uint8Array | null): void {
  if (!encoded || encoded.length === 0) return;
  if (encoded.length === HLL_REGISTERS) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = encoded[i] as number;
      if (v > (registers[i] as number)) registers[i] = v;
    }
    return;
  }
  if (encoded.length % 3 !== 0) throw new Error(`not a sketch: ${encoded.length} bytes`);
  for (let i = 0; i < encoded.length; i += 3) {
    const index = ((encoded[i] as number) << 8) | (encoded[i + 1] as number);
    const v = encoded[i + 2] as number;
    if (v > (registers[index] as number)) registers[index] = v;
  }
}

export function decodeSketch(encoded: Uint8Array | null): Uint8Array {
  const registers = emptyRegisters();
  mergeEncoded(registers, encoded);
  return registers;
}

/** The canonical stored form of `registers` (see the module comment). */
export function encodeSketch(registers: Uint8Array): Buffer {
  let nonZero = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) if (registers[i] !== 0) nonZero++;
  if (nonZero * 3 >= HLL_REGISTERS) return Buffer.from(registers);
  const out = Buffer.alloc(nonZero * 3);
  let o = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const v = registers[i] as number;
    if (v === 0) continue;
    out[o] = i >> 8;
    out[o + 1] = i & 0xff;
    out[o + 2] = v;
    o += 3;
  }
  return out;
}

// Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
// sketches", 2017): unbiased from 0 to far beyond our counts without empirical bias tables, and
// equal to linear counting where that is the better estimate (small counts come out exact unless
// two values share a register).
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const next = z + x * y;
    y += y;
    if (next === z) return z;
    z = next;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    y *= 0.5;
    const next = z - (1 - x) ** 2 * y;
    if (next === z) return z / 3;
    z = next;
  }
}

/** The estimated number of distinct values added to `registers`. */
export function estimate(registers: Uint8Array): number {
  const m = HLL_REGISTERS;
  const counts = new Array<number>(Q + 2).fill(0);
  for (let i = 0; i < m; i++) {
    const v = registers[i] as number;
    counts[v] = (counts[v] as number) + 1;
  }
  if (counts[0] === m) return 0;
  let z = m * tau(1 - (counts[Q + 1] as number) / m);
  for (let k = Q; k >= 1; k--) z = 0.5 * (z + (counts[k] as number));
  z += m * sigma((counts[0] as number) / m);
  return (m * m) / (2 * Math.LN2 * z);
}
