/**
 * Imports point down: bin → lib → lambda/handler → lambda/checks → lambda/engine;
 * the drivers implement the engine's ports (lambda/engine/ports.ts) and the
 * engine imports no driver. Read from the import graph of the TypeScript
 * sources (static, type-only and dynamic imports alike), so a rename or a new
 * file cannot slip a wrong-way import past it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Edge {
  /** Importing file, relative to the repository root. */
  from: string;
  /** Imported file (relative to the root) or package specifier (`pkg:aws-cdk-lib/aws-iam`). */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return `pkg:${specifier}`;
  const base = resolve(dirname(file), specifier);
  const found = [`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts'), base].find(
    (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
  );
  return found ? relative(ROOT, found) : `unresolved:${relative(ROOT, base)}`;
}

function importGraph(): Edge[] {
  const files = ['lambda', 'lib', 'bin'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
  return files.flatMap((file) => {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return info.importedFiles.map((imported) => ({ from: relative(ROOT, file), to: resolveImport(file, imported.fileName) }));
  });
}

const graph = importGraph();
const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);
const pkg =
  (...names: string[]) =>
  (path: string) =>
    names.some((n) => path === `pkg:${n}` || path.startsWith(`pkg:${n}/`));

/** Imports from files matching `from` to anything matching `to`, as `from → to` lines. */
function offenders(from: (path: string) => boolean, to: (path: string) => boolean): string[] {
  return graph.filter((e) => from(e.from) && to(e.to)).map((e) => `${e.from} → ${e.to}`);
}

/** Strongly connected components with more than one file (or a file importing itself): the import cycles. */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!e.to.startsWith('pkg:')) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)?.includes(v)) out.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('Architecture: import layers', () => {
  it('reads the whole graph: every relative import resolves to a source file', () => {
    expect(graph.filter((e) => e.to.startsWith('unresolved:')).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
    // The reading itself works: known edges are in it.
    expect(graph).toContainEqual({ from: 'lambda/engine/runner.ts', to: 'lambda/engine/ports.ts' });
    expect(graph).toContainEqual({ from: 'lambda/driver/pg/pg-driver.ts', to: 'pkg:pg' });
  });

  it('the engine imports no driver, check, schema model or handler, and no database client library', () => {
    expect(offenders(under('lambda/engine'), (to) => to.startsWith('lambda/') && !under('lambda/engine')(to))).toEqual([]);
    expect(offenders(under('lambda/engine'), pkg('pg', '@aws-sdk'))).toEqual([]);
  });

  it('the drivers import only the engine (its ports) and each other', () => {
    expect(offenders(under('lambda/driver'), (to) => to.startsWith('lambda/') && !under('lambda/engine')(to) && !under('lambda/driver')(to))).toEqual([]);
  });

  it('the checks do not import the handler', () => {
    expect(offenders(under('lambda/checks'), under('lambda/handler'))).toEqual([]);
  });

  it('lambda/ runs in the function: it imports neither the CDK nor lib/ or bin/', () => {
    expect(offenders(under('lambda'), pkg('aws-cdk-lib', 'constructs', 'cdk-nag'))).toEqual([]);
    expect(offenders(under('lambda'), (to) => under('lib')(to) || under('bin')(to))).toEqual([]);
  });

  it('lib/ does not import bin/', () => {
    expect(offenders(under('lib'), under('bin'))).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });
});

/** The room (first folder) of a file under `base`, or undefined for a file at its top or outside it. */
function roomOf(base: string, path: string): string | undefined {
  if (!under(base)(path)) return undefined;
  const parts = path.slice(base.length + 1).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

/** The imports between the rooms of `base`, one edge per pair of rooms. */
function roomEdges(base: string): Edge[] {
  const pairs = new Set<string>();
  for (const e of graph) {
    const from = roomOf(base, e.from);
    const to = roomOf(base, e.to);
    if (from && to && from !== to) pairs.add(`${from} ${to}`);
  }
  return [...pairs].map((pair) => {
    const [from = '', to = ''] = pair.split(' ');
    return { from, to };
  });
}

const foldersOf = (dir: string) => readdirSync(dir).filter((entry) => statSync(join(dir, entry)).isDirectory());
const looseFilesOf = (dir: string) => readdirSync(dir).filter((entry) => entry.endsWith('.ts') && !statSync(join(dir, entry)).isDirectory());

describe('Architecture: engine rooms', () => {
  const ENGINE = join(ROOT, 'lambda', 'engine');
  const ROOMS = foldersOf(ENGINE);
  const room = (name: string) => under(`lambda/engine/${name}`);
  const otherRoom = (name: string) => (path: string) => under('lambda/engine')(path) && !room(name)(path);

  it('every engine file lives in a room but the front door (runner.ts), the ports and the defaults; each room says what it owns', () => {
    expect(looseFilesOf(ENGINE).filter((file) => !['runner.ts', 'ports.ts', 'defaults.ts'].includes(file))).toEqual([]);
    expect(ROOMS).toEqual(expect.arrayContaining(['errors', 'runtime', 'sql', 'files', 'state', 'apply', 'lock', 'foreign-history', 'server']));
    expect(ROOMS.filter((name) => !existsSync(join(ENGINE, name, 'README.md')))).toEqual([]);
  });

  it('errors/ and runtime/ import no other room; sql/ imports only errors/', () => {
    expect(offenders(room('errors'), otherRoom('errors'))).toEqual([]);
    expect(offenders(room('runtime'), otherRoom('runtime'))).toEqual([]);
    expect(offenders(room('sql'), (to) => otherRoom('sql')(to) && !room('errors')(to))).toEqual([]);
  });

  it('no two rooms import each other, directly or round a circle', () => {
    expect(roomEdges('lambda/engine').length).toBeGreaterThan(10);
    expect(cycles(roomEdges('lambda/engine'))).toEqual([]);
  });

  it('no room imports the runner: it is the top of the engine', () => {
    expect(offenders(under('lambda/engine'), (to) => to === 'lambda/engine/runner.ts')).toEqual([]);
  });
});

describe('Architecture: checks rooms', () => {
  const CHECKS = join(ROOT, 'lambda', 'checks');
  const README = readFileSync(join(CHECKS, 'README.md'), 'utf8');
  /** The rooms in the order of the README's table, bottom first: the one list of the order. */
  const ORDER = [...README.matchAll(/^\| \[`([a-z-]+)\/`\]/gm)].map((m) => m[1] ?? '');
  const imported = (name: string) =>
    new Set(
      roomEdges('lambda/checks')
        .filter((e) => e.from === name)
        .map((e) => e.to),
    );

  it('every file lives in a room, each room says what it owns, and the README lists each room once', () => {
    expect(looseFilesOf(CHECKS)).toEqual([]);
    expect(foldersOf(CHECKS).filter((name) => !existsSync(join(CHECKS, name, 'README.md')))).toEqual([]);
    expect([...ORDER].sort()).toEqual(foldersOf(CHECKS).sort());
  });

  it("a room imports only the rooms above it in the README's table, so no two rooms import each other", () => {
    const upward = roomEdges('lambda/checks').filter((e) => ORDER.indexOf(e.to) >= ORDER.indexOf(e.from));
    expect(upward.map((e) => `${e.from}/ → ${e.to}/`)).toEqual([]);
    expect(cycles(roomEdges('lambda/checks'))).toEqual([]);
    // The reading works: known imports are in it.
    expect(imported('lint')).toEqual(new Set(['parser', 'names', 'findings']));
  });

  it("each room's README names the rooms it imports", () => {
    const stated = (name: string) => {
      const sentence = /Imports ([^.]*)\./.exec(readFileSync(join(CHECKS, name, 'README.md'), 'utf8'))?.[1] ?? 'nothing said';
      return new Set(sentence === 'no other room' ? [] : [...sentence.matchAll(/([a-z-]+)\//g)].map((m) => m[1]));
    };
    expect(Object.fromEntries(ORDER.map((name) => [name, [...stated(name)].sort()]))).toEqual(
      Object.fromEntries(ORDER.map((name) => [name, [...imported(name)].sort()])),
    );
  });
});

describe('Architecture: the handler, an adapter', () => {
  const HANDLER = join(ROOT, 'lambda', 'handler');
  const entry = (path: string) => path === 'lambda/handler/handler.ts';

  it('hands each request kind to a module of requests/, which says what it owns and never imports the adapter back', () => {
    expect(foldersOf(HANDLER)).toEqual(expect.arrayContaining(['requests', 'backfill', 'fleet', 'guard', 'migrator']));
    expect(existsSync(join(HANDLER, 'requests', 'README.md'))).toBe(true);
    for (const kind of ['on-event', 'is-complete', 'roles', 'operator-request', 'backfill-slice']) {
      expect(graph).toContainEqual({ from: 'lambda/handler/handler.ts', to: `lambda/handler/requests/${kind}.ts` });
    }
    expect(offenders(under('lambda/handler/requests'), entry)).toEqual([]);
    // Nor do the handler's rooms import each other round a circle.
    expect(roomEdges('lambda/handler').length).toBeGreaterThan(3);
    expect(cycles(roomEdges('lambda/handler'))).toEqual([]);
  });

  it("runs no engine nor check itself: no runner, no check, no driver, from the engine only its errors and the fleet item's report", () => {
    const engineAllowed = (to: string) => under('lambda/engine/errors')(to) || to === 'lambda/engine/fleet/tenant-result.ts';
    expect(offenders(entry, (to) => under('lambda/checks')(to) || under('lambda/driver')(to) || (under('lambda/engine')(to) && !engineAllowed(to)))).toEqual(
      [],
    );
  });
});

describe('Function: cycles', () => {
  it('finds a type-only circle like the one between the old driver.ts and lock.ts', () => {
    const found = cycles([
      { from: 'lambda/driver/driver.ts', to: 'lambda/engine/lock.ts' },
      { from: 'lambda/engine/lock.ts', to: 'lambda/driver/driver.ts' },
      { from: 'lambda/engine/runner.ts', to: 'lambda/engine/lock.ts' },
    ]);
    expect(found).toEqual([['lambda/driver/driver.ts', 'lambda/engine/lock.ts']]);
  });

  it('finds a file that imports itself and ignores packages', () => {
    expect(
      cycles([
        { from: 'a.ts', to: 'a.ts' },
        { from: 'b.ts', to: 'pkg:b' },
      ]),
    ).toEqual([['a.ts']]);
  });
});
