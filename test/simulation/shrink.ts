// The shortest steps that still reproduce a violation: the failing
// workspace's steps are replayed alone on the same
// engine, and steps are removed — halves, then quarters, down to single
// steps — as long as the same invariant still breaks (delta debugging,
// bounded in replays).
import type { Step } from './actions';
import type { SimEngine } from './engine';
import { simulate, type Violation } from './simulator';

export interface Shrunk {
  steps: Step[];
  replays: number;
}

const MAX_REPLAYS = 40;

export async function shrink(e: SimEngine, v: Violation, log: (line: string) => void = () => undefined): Promise<Shrunk> {
  let replays = 0;
  const reproduces = async (steps: Step[]): Promise<boolean> => {
    replays += 1;
    const lastDay = Math.max(v.day, ...steps.map((s) => s.day));
    const result = await simulate(e, {
      workspaces: 1,
      years: (lastDay + 1) / 365,
      seed: v.seed,
      tickDays: v.tickDays,
      scripts: { workspaces: [steps], seeds: [v.workspaceSeed] },
    });
    return result.violations.some((x) => x.invariant === v.invariant);
  };
  let steps = [...v.steps];
  if (!(await reproduces(steps))) {
    log('the violation did not reproduce alone (it needs the other workspaces or the timing); keeping every step');
    return { steps, replays };
  }
  for (let size = Math.ceil(steps.length / 2); size >= 1 && replays < MAX_REPLAYS; size = size === 1 ? 0 : Math.ceil(size / 2)) {
    for (let start = 0; start < steps.length && replays < MAX_REPLAYS; ) {
      const candidate = [...steps.slice(0, start), ...steps.slice(start + size)];
      if (candidate.length < steps.length && (await reproduces(candidate))) {
        steps = candidate;
        log(`still reproduces with ${steps.length} step(s)`);
      } else {
        start += size;
      }
    }
  }
  return { steps, replays };
}
