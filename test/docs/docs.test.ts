// Keeps the documentation true where a machine can tell: every relative link
// of README.md and docs/*.md leads to a file (and heading) that exists, every
// environment variable the code reads is in docs/configuration.md, every
// route of the OpenAPI document and every error code is in docs/http-api.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';
import { openApiDocument } from '../../src/api/openapi';
import { ERROR_CODES } from '../../src/domain/errors';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/**
 * Documents other branches add: a link to one passes while it is absent
 * (once it exists, its links and headings are checked like any other).
 * Remove an entry once its document is merged.
 */
const KNOWN_PENDING = new Set<string>();

const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown without fenced code blocks and inline code (links there are examples, not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

export function relativeLinksOf(from: string, markdown: string): Link[] {
  const links: Link[] = [];
  for (const match of prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    links.push({ from, target });
  }
  return links;
}

/** What is wrong with a link, or null. */
export function brokenLink({ from, target }: Link, pending: ReadonlySet<string> = KNOWN_PENDING): string | null {
  const [file, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = file === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (!existsSync(path.join(root, resolved))) {
    return pending.has(resolved) ? null : `${from}: ${target} → ${resolved} does not exist`;
  }
  if (anchor === undefined || !resolved.endsWith('.md')) return null;
  return anchorsOf(read(resolved)).has(anchor) ? null : `${from}: ${target} → no heading #${anchor} in ${resolved}`;
}

/** Environment variables the code reads: the config schema's keys and direct reads in src/ and scripts/. */
function variablesRead(): string[] {
  const names = new Set(Object.keys(configSchema.in.shape));
  const files = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return files(rel);
      return /\.(ts|sh)$/.test(e.name) ? [rel] : [];
    });
  const patterns = [
    /process\.env\.([A-Z][A-Z0-9_]+)/g, // process.env.NAME
    /process\.env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g, // process.env['NAME']
    /\benv\.([A-Z][A-Z0-9_]+)/g, // env.NAME on an env object passed in
    /\b(?:portFromEnv|bounded)\(\s*'([A-Z][A-Z0-9_]+)'/g, // scripts' helpers reading process.env[name]
    /\bisUnset\(\s*\w+,\s*'([A-Z][A-Z0-9_]+)'/g,
    /\benv: '([A-Z][A-Z0-9_]+)'/g, // scripts/lib/binaries.ts: overridable binary paths
    /\$\{([A-Z][A-Z0-9_]+):-/g, // shell: ${NAME:-default}
  ];
  for (const file of [...files('src'), ...files('scripts'), ...files('activities'), 'prisma.config.ts']) {
    const text = read(file);
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) names.add(m[1]);
  }
  return [...names].sort();
}

describe('documentation', () => {
  test.each(documents)('every relative link of %s resolves', (doc) => {
    const broken = relativeLinksOf(doc, read(doc))
      .map((link) => brokenLink(link))
      .filter((problem): problem is string => problem !== null);
    expect(broken).toEqual([]);
  });

  test('a broken link or heading is reported (the check itself works)', () => {
    expect(brokenLink({ from: 'README.md', target: 'docs/no-such-file.md' })).toMatch(/does not exist/);
    expect(brokenLink({ from: 'README.md', target: 'docs/http-api.md#no-such-heading' })).toMatch(/no heading/);
    expect(brokenLink({ from: 'docs/http-api.md', target: 'architecture.md#the-shape' })).toBeNull();
    expect(brokenLink({ from: 'README.md', target: 'docs/not-yet.md' }, new Set(['docs/not-yet.md']))).toBeNull();
  });

  test('every environment variable the code reads is in docs/configuration.md', () => {
    const names = variablesRead();
    expect(names).toEqual(expect.arrayContaining(['DATABASE_URL', 'OIDC_ISSUER', 'TEMPORAL_CLI_PATH', 'BENCH_EVENTS']));
    const configuration = read('docs/configuration.md');
    expect(names.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
  });

  test('every variable in the tables of docs/configuration.md is read by the code', () => {
    const inCode = new Set(variablesRead());
    const listed = read('docs/configuration.md')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect(listed.length).toBeGreaterThan(40);
    expect(listed.filter((name) => !inCode.has(name))).toEqual([]);
  });

  test('every route of the OpenAPI document is in docs/http-api.md', () => {
    const api = read('docs/http-api.md');
    const routes = Object.entries(openApiDocument().paths ?? {}).flatMap(([route, item]) =>
      Object.keys(item ?? {})
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => `${method.toUpperCase()} ${route}`),
    );
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((route) => !api.includes(`\`${route}\``))).toEqual([]);
  });

  test('every error code is in docs/http-api.md', () => {
    const api = read('docs/http-api.md');
    expect(ERROR_CODES.filter((code) => !api.includes(`\`${code}\``))).toEqual([]);
  });
});
