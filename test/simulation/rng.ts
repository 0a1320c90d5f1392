// A seeded random stream (pure-rand's xoroshiro128+): the same seed gives the
// same decisions, so a simulated year is reproducible from its seed.
import prand from 'pure-rand';

export class Rng {
  private gen: prand.RandomGenerator;

  constructor(seed: number) {
    this.gen = prand.xoroshiro128plus(seed | 0);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    const [value, next] = prand.uniformIntDistribution(min, max, this.gen);
    this.gen = next;
    return value;
  }

  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** A fresh seed for a derived stream (e.g. one per workspace). */
  seed(): number {
    return this.int(1, 2_000_000_000);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
