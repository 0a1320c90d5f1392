// Saved histories protect running workflows only if they were recorded by
// the code *before* a workflow change. A commit that changes workflows/ and
// rewrites a saved history in the same breath proves nothing: the history
// then describes the new code. This check fails on such a commit (and on
// such an uncommitted change), from the commit that introduced it onwards.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
/** The last commit before this check existed; earlier history is not judged. */
const BASELINE = '7955dd6';
const HISTORIES = 'test/replay/histories/';

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

function hasGit(): boolean {
  try {
    git('rev-parse', '--git-dir');
    return true;
  } catch {
    return false;
  }
}

/** Paths a change modified (M) or renamed over, from `--name-status` output. */
function modified(nameStatus: string): string[] {
  return nameStatus
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .filter(([status]) => status.startsWith('M'))
    .map((parts) => parts[parts.length - 1]);
}

/** The rule itself: a change may modify workflow code or saved histories, not both. */
export function violates(paths: string[]): boolean {
  return paths.some((p) => p.startsWith('workflows/')) && paths.some((p) => p.startsWith(HISTORIES));
}

test('the rule: workflow code and an existing saved history changed together is refused', () => {
  expect(violates(['workflows/workspace-workflow.ts', 'test/replay/histories/replay-dunning.binpb'])).toBe(true);
  expect(violates(['workflows/workspace-workflow.ts', 'src/domain/plans.ts'])).toBe(false);
  expect(violates(['test/replay/histories/replay-dunning.binpb', 'test/replay/record-histories.ts'])).toBe(false);
  // Added histories show as A, not M: recording new ones beside a change is allowed by the rule,
  // though they then describe the new code; record them in a commit of their own.
  expect(modified('A\ttest/replay/histories/new.binpb\nM\tworkflows/a.ts')).toEqual(['workflows/a.ts']);
});

const gitTest = hasGit() ? test : test.skip;

gitTest('no commit since the baseline changes workflows/ and rewrites a saved history', () => {
  const known = (() => {
    try {
      git('cat-file', '-e', `${BASELINE}^{commit}`);
      return true;
    } catch {
      return false;
    }
  })();
  // A shallow clone may not reach the baseline: judge every commit it has.
  const commits = git('rev-list', known ? `${BASELINE}..HEAD` : 'HEAD').split('\n').filter(Boolean);
  const offenders = commits.filter((c) => violates(modified(git('diff-tree', '--no-commit-id', '--name-status', '-r', c))));
  expect(offenders.map((c) => git('log', '-1', '--format=%h %s', c))).toEqual([]);
});

gitTest('the working tree does not change workflows/ and rewrite a saved history', () => {
  const changed = modified(git('diff', 'HEAD', '--name-status'));
  expect(violates(changed) ? changed : []).toEqual([]);
});
