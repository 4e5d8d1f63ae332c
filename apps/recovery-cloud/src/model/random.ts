/**
 * Seeded randomness for the simulator. The model never calls Math.random: every random
 * draw is either a pure function of (seed, what it is about) — so a server's boot jitter
 * does not depend on the order in which requests arrive — or a seeded sequence.
 */

/** mulberry32: a tiny, fast 32-bit PRNG. Returns a generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a 32-bit hash of a string. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A float in [0, 1) determined only by the seed and the parts (e.g. 'boot', vmId, attempt). */
export function keyedRandom(seed: number, ...parts: (string | number)[]): number {
  return mulberry32(fnv1a(`${seed}|${parts.join('|')}`))();
}
