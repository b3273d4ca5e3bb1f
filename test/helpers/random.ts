// A small seeded random generator (mulberry32), so that every fuzz run can be replayed exactly.
export class SeededRandom {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  integer(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.integer(items.length)]!;
  }

  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.integer(256)));
  }

  /** A string mixing ASCII, the characters parsers care about, controls and non-ASCII. */
  string(maxLength: number): string {
    const alphabet = ['a', 'Z', '0', '=', ';', ',', ' ', '"', '\\', '%', '+', '&', '.', '-', '_', '\t', '\r', '\n', '\0', 'é', '🍪', '\u2028', '%zz', '%C3%A9', '__proto__'];
    let text = '';
    const length = this.integer(maxLength + 1);
    for (let index = 0; index < length; index += 1) text += this.pick(alphabet);
    return text;
  }

  /** `text` with a few random edits: replaced, inserted, deleted or duplicated characters. */
  mutate(text: string): string {
    const characters = [...text];
    const edits = 1 + this.integer(3);
    for (let edit = 0; edit < edits; edit += 1) {
      const at = this.integer(characters.length + 1);
      switch (this.integer(4)) {
        case 0:
          characters.splice(at, 1, this.pick(['A', '_', '-', '.', '=', '0', 'z', '/', '+']));
          break;
        case 1:
          characters.splice(at, 0, this.pick(['A', '.', '=', '%', ' ']));
          break;
        case 2:
          characters.splice(at, 1);
          break;
        default:
          characters.splice(at, 0, ...characters.slice(at, at + 1 + this.integer(8)));
      }
    }
    return characters.join('');
  }
}

/** The seed for this run: FUZZ_SEED to replay one, otherwise a fresh one. Printed either way. */
export function fuzzSeed(): number {
  const given = process.env['FUZZ_SEED'];
  const seed = given === undefined || given === '' ? Math.floor(Math.random() * 2 ** 32) : Number(given);
  console.log(`# fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return seed;
}

/** Iterations per target: FUZZ_ITERATIONS, or a default that keeps the suite fast. */
export const FUZZ_ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 10_000);
