import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every file's relative imports (type-only and dynamic ones too: a circle through a type is still a circle to read). */
function importGraph(): Map<string, string[]> {
  const files = sources(src);
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/(?:from\s+|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
      return [file, [...new Set(targets.filter((target) => known.has(target)))]];
    }),
  );
}

/** The graph's strongly connected components of more than one file (Tarjan): each is an import circle. */
function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(relative(src, member));
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** The imports from files under `from` into files under `into`, as "importer -> imported". */
function importsAcross(graph: Map<string, string[]>, from: string, into: string): string[] {
  return [...graph].flatMap(([file, targets]) =>
    relative(src, file).startsWith(from) ? targets.filter((target) => relative(src, target).startsWith(into)).map((target) => `${relative(src, file)} -> ${relative(src, target)}`) : [],
  );
}

describe('the source tree', () => {
  it('has no import circle, type imports included', () => {
    expect(circles(importGraph())).toEqual([]);
  });

  it('would see one: the walk finds a circle put in a copy of the graph', () => {
    const graph = importGraph();
    const gate = join(src, 'runner/effects/request-gate.ts');
    const plan = join(src, 'runner/pages/page-plan.ts');
    graph.set(gate, [...graph.get(gate)!, plan]);
    expect(circles(graph)).toEqual([['runner/effects/request-gate.ts', 'runner/pages/page-plan.ts']]);
  });

  it('keeps the runner below the wire format: nothing in src/runner imports src/events', () => {
    expect(importsAcross(importGraph(), 'runner/', 'events/')).toEqual([]);
  });

  it('would see a runner file importing the wire format', () => {
    const graph = importGraph();
    const walk = join(src, 'runner/pages/drive.ts');
    graph.set(walk, [...graph.get(walk)!, join(src, 'events/curator-events.ts')]);
    expect(importsAcross(graph, 'runner/', 'events/')).toEqual(['runner/pages/drive.ts -> events/curator-events.ts']);
  });
});
