/**
 * The layers point down, read from the code's own imports: no import circle among the files of src/,
 * the data layers (db, data-model, loaders, policy) never import from the surfaces above them, and the
 * base layers (errors, data-model, db) stand on each other only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** The files of src/ a file imports (`import … from`, `export … from`, `import()`, types included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map(
    (match) => match[1] ?? match[2] ?? match[3],
  );
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const base = path.resolve(path.dirname(file), specifier);
      for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
        try {
          if (statSync(candidate).isFile()) return candidate;
        } catch {
          // not this one
        }
      }
      throw new Error(`${path.relative(SRC, file)} imports ${specifier}, which is no file of src/`);
    });
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const relative = (file: string) => path.relative(SRC, file);
/** The folder of src/ a file is in: its layer. */
const folderOf = (file: string) => relative(file).split(path.sep)[0];

/** Strongly connected components of more than one file (Tarjan), or a file importing itself. */
function circles(): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, indexOf.get(next)!));
      }
    }
    if (low.get(file) === indexOf.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(relative(member));
      } while (member !== file);
      if (component.length > 1 || graph.get(file)!.includes(file)) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!indexOf.has(file)) visit(file);
  return found;
}

it('reads the imports of every file of src/', () => {
  expect(files.length).toBeGreaterThan(100);
  // the reader sees type imports too: the request context's own
  expect(graph.get(path.join(SRC, 'context', 'request-context.ts'))!.map(relative)).toEqual(expect.arrayContaining(['auth/identity.ts', 'policy/access-policy.ts']));
});

it('has no import circle in src/', () => {
  expect(circles()).toEqual([]);
});

/** Imports from the data layers up into the surfaces. */
function upwardImports(): string[] {
  const low = ['db', 'data-model', 'loaders', 'policy'];
  const high = ['server', 'resolvers', 'rest-compat'];
  return [...graph].flatMap(([file, imports]) =>
    low.includes(folderOf(file)) ? imports.filter((target) => high.includes(folderOf(target))).map((target) => `${relative(file)} -> ${relative(target)}`) : [],
  );
}

it('keeps db/, data-model/, loaders/ and policy/ free of server/, resolvers/ and rest-compat/', () => {
  expect(upwardImports()).toEqual([]);
});

/** The base layers stand on each other only: errors/ on nothing of src/, data-model/ on errors/, db/ on both. */
const BASE_LAYERS: Record<string, string[]> = { errors: ['errors'], 'data-model': ['data-model', 'errors'], db: ['db', 'data-model', 'errors'] };

function baseLayerImports(): string[] {
  return [...graph].flatMap(([file, imports]) => {
    const allowed = BASE_LAYERS[folderOf(file)];
    return allowed ? imports.filter((target) => !allowed.includes(folderOf(target))).map((target) => `${relative(file)} -> ${relative(target)}`) : [];
  });
}

it('keeps errors/, data-model/ and db/ at the bottom, in that order', () => {
  expect(baseLayerImports()).toEqual([]);
});

it('would see a circle and an upward import (the checks can fail)', () => {
  const scratch = path.join(SRC, 'loaders', 'scratch.ts');
  graph.set(scratch, [path.join(SRC, 'server', 'app.ts'), scratch]);
  try {
    expect(circles()).toContainEqual(['loaders/scratch.ts']);
    expect(upwardImports()).toEqual(['loaders/scratch.ts -> server/app.ts']);
  } finally {
    graph.delete(scratch);
  }
  const low = path.join(SRC, 'data-model', 'scratch.ts');
  graph.set(low, [path.join(SRC, 'db', 'connect.ts'), path.join(SRC, 'errors', 'codes.ts')]);
  try {
    expect(baseLayerImports()).toEqual(['data-model/scratch.ts -> db/connect.ts']);
  } finally {
    graph.delete(low);
  }
  expect(circles()).toEqual([]);
  expect(upwardImports()).toEqual([]);
  expect(baseLayerImports()).toEqual([]);
});
