/**
 * The import rules of the guide and the README's layout: no import circle in src/ (between files, or
 * between folders), and no import from a lower layer into a higher one. Type-only imports count: a
 * type is a dependency too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * The layers, low to high (README.md, "Layout"): a module may import its own layer and the ones
 * below it. A folder of src/ is named by its name, a top-level file by its base name.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['config', 'domain', 'lib'],
  ['session'],
  ['service', 'store', 'feed'],
  ['graphql', 'http'],
  ['app'],
  ['server'],
];

type Graph = ReadonlyMap<string, readonly string[]>;

/** Every TypeScript module under `dir`, as paths relative to it. */
function modules(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at)).flatMap((name) => {
    const path = join(at, name);
    if (statSync(join(dir, path)).isDirectory()) return modules(dir, path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `import … from '…'`, `import '…'`, `export … from '…'` at the start of a line; `import('…')`. */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative specifiers a module imports (packages and node: builtins are not ours). */
function relativeImports(text: string): string[] {
  const found = [...text.matchAll(STATIC_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!);
  return found.filter((spec) => spec.startsWith('.'));
}

/** The import graph of src/: module → the src/ modules it imports. Throws on a specifier that resolves to nothing. */
function importGraph(): Graph {
  const graph = new Map<string, string[]>();
  for (const file of modules(SRC)) {
    const targets = new Set<string>();
    for (const spec of relativeImports(readFileSync(join(SRC, file), 'utf8'))) {
      const target = resolve(SRC, dirname(file), spec);
      if (!existsSync(target)) throw new Error(`${file} imports ${spec}, which does not exist`);
      const inside = relative(SRC, target);
      if (!inside.startsWith('..')) targets.add(inside);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The folder (or top-level file without extension) a module belongs to. */
function unitOf(file: string): string {
  return file.includes('/') ? file.split('/')[0]! : file.replace(/\.[^.]+$/, '');
}

/** The graph between units: an edge for every import that crosses a unit boundary. */
function unitGraph(graph: Graph): Graph {
  const units = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = units.get(unitOf(file)) ?? new Set<string>();
    units.set(unitOf(file), from);
    for (const target of targets) if (unitOf(target) !== unitOf(file)) from.add(unitOf(target));
  }
  return new Map([...units].map(([unit, targets]) => [unit, [...targets].sort()]));
}

/** The strongly connected components with more than one node, or a node importing itself (Tarjan). */
function circles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** Imports from a lower layer into a higher one, as `from -> to`. */
function againstTheLayers(graph: Graph, layers: readonly (readonly string[])[]): string[] {
  const rank = new Map(layers.flatMap((units, i) => units.map((unit) => [unit, i] as const)));
  return [...graph].flatMap(([file, targets]) =>
    targets
      .filter((target) => (rank.get(unitOf(target)) ?? -1) > (rank.get(unitOf(file)) ?? -1))
      .map((target) => `${file} -> ${target}`),
  );
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('is read in full: every module, and the imports we know are there', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('app.ts')).toContain('session/session-data.ts');
    expect(graph.get('graphql/builder.ts')).toContain('graphql/context.ts');
    // A multi-line type-only import.
    expect(graph.get('session/session-data.ts')).toContain('domain/types.ts');
  });

  it('places every folder and top-level module in a layer', () => {
    const ranked = new Set(LAYERS.flat());
    expect([...new Set([...graph.keys()].map(unitOf))].filter((unit) => !ranked.has(unit))).toEqual([]);
  });

  it('has no import circle between modules', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('has no import circle between folders', () => {
    expect(circles(unitGraph(graph))).toEqual([]);
  });

  it('has no import from a lower layer into a higher one', () => {
    expect(againstTheLayers(graph, LAYERS)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const graph: Graph = new Map([
    ['domain/a.ts', ['domain/b.ts']],
    ['domain/b.ts', ['domain/a.ts']],
    ['session/c.ts', ['domain/a.ts', 'service/d.ts']],
    ['service/d.ts', ['session/c.ts']],
    ['app.ts', ['service/d.ts']],
  ]);

  it('find circles between modules and between folders', () => {
    expect(circles(graph)).toEqual([
      ['domain/a.ts', 'domain/b.ts'],
      ['service/d.ts', 'session/c.ts'],
    ]);
    expect(circles(unitGraph(graph))).toEqual([['service', 'session']]);
  });

  it('find an import into a higher layer, and only that', () => {
    expect(againstTheLayers(graph, LAYERS)).toEqual(['session/c.ts -> service/d.ts']);
  });

  it('read static, re-exported, side-effect and dynamic imports, not comments or packages', () => {
    const text = [
      "import { a } from './a.ts';",
      'import type {',
      '  B,',
      "} from '../b.ts';",
      "export { c } from './c.ts';",
      "import './d.ts';",
      "const e = await import('./e.ts');",
      " * import { f } from './f.ts' (inside a JSDoc block)",
      "import { g } from 'graphql';",
    ].join('\n');
    expect(relativeImports(text).sort()).toEqual(['../b.ts', './a.ts', './c.ts', './d.ts', './e.ts']);
  });
});
