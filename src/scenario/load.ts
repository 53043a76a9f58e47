import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { SquallError } from '../errors.ts';
import { closest } from '../util/suggest.ts';

export { closest };

/**
 * Loading a scenario-like file: YAML (JSON is YAML too), validated by a zod schema, with EVERY problem
 * reported at once as `file:line:col  path: expected X, found Y (hint)`. Nothing runs until it is valid.
 */
export interface ValidationProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  hint?: string;
}

export class ScenarioValidationError extends SquallError {
  readonly problems: ValidationProblem[];
  constructor(file: string, problems: ValidationProblem[]) {
    super('ERR_SQUALL_INVALID_CONFIG', formatProblems(file, problems));
    this.problems = problems;
  }
}

export function formatProblems(file: string, problems: ValidationProblem[]): string {
  const lines = problems.map(
    (p) =>
      `${p.file}:${p.line}:${p.col}  ${p.path || '(root)'}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`,
  );
  return `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
}

export function loadFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SquallError(
      'ERR_SQUALL_SCENARIO_FILE',
      `${file}: cannot read the file (${code ?? String(e)})`,
      {
        hint: code === 'ENOENT' ? 'check the path; `squall init` writes a starter scenario' : undefined,
      },
    );
  }
  return parseText(file, text, schema);
}

export function parseText<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioValidationError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          col: pos.col,
          path: '',
          message: `not valid YAML: ${e.message.split('\n')[0]}`,
          hint: 'check indentation and quoting; tabs are not allowed in YAML',
        };
      }),
    );
  }
  const data: unknown = doc.toJS();
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems: ValidationProblem[] = [];
  for (const issue of flattenUnions(result.error.issues)) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const pos = position(doc, keyPath, lineCounter, true);
        const known = knownKeys(schema, path);
        const guess = closest(key, known);
        problems.push({
          file,
          ...pos,
          path: keyPath.join('.'),
          message: `unknown key "${key}"`,
          hint: guess
            ? `did you mean \`${guess}\`?`
            : known.length
              ? `known keys: ${known.join(', ')}`
              : undefined,
        });
      }
      continue;
    }
    // A custom issue about a key itself (unknown field, wrong spelling) points at the key, not its value.
    const atKey = (issue as { params?: { atKey?: boolean } }).params?.atKey === true;
    const pos = position(doc, path, lineCounter, atKey);
    const found = valueAt(data, path);
    problems.push({
      file,
      ...pos,
      path: path.join('.'),
      message: `${issue.message}${issue.code === 'invalid_type' || issue.code === 'invalid_value' ? `, found ${describe(found)}` : ''}`,
      ...hintFor(issue),
    });
  }
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new ScenarioValidationError(file, problems);
}

/**
 * A union that matched no branch ("latency: Invalid input") says nothing useful. Report instead the
 * branch that came closest: fewest problems, not counting branches that failed only on their shape.
 */
function flattenUnions(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const score = (branch: readonly z.core.$ZodIssue[]) =>
        branch.length +
        (branch.every((i) => i.code === 'unrecognized_keys' || i.code === 'invalid_type') ? 100 : 0);
      const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
      if (score(best) < 100) {
        out.push(...flattenUnions(best, path));
        continue;
      }
    }
    out.push({ ...issue, path } as z.core.$ZodIssue);
  }
  return out;
}

function hintFor(issue: z.core.$ZodIssue): { hint?: string } {
  const h = (issue as { params?: { hint?: string } }).params?.hint;
  return h ? { hint: h } : {};
}

function position(
  doc: ReturnType<typeof parseDocument>,
  path: string[],
  lc: LineCounter,
  keyOfLast: boolean,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let best: { line: number; col: number } = { line: 1, col: 1 };
  const at = (n: unknown) => {
    const range = (n as YamlNode | null)?.range;
    if (range) best = lc.linePos(range[0]);
  };
  at(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === seg);
      if (!pair) break;
      if (keyOfLast && i === path.length - 1) {
        at(pair.key);
        break;
      }
      at(pair.key);
      node = pair.value;
      at(node);
    } else if (isSeq(node)) {
      node = node.items[Number(seg)];
      at(node);
    } else break;
  }
  return best;
}

function valueAt(data: unknown, path: string[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v && typeof v === 'object') v = (v as Record<string, unknown>)[seg];
    else return undefined;
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Keys the schema accepts at `path` (for "did you mean" hints). */
function knownKeys(schema: z.ZodType, path: string[]): string[] {
  let s: unknown = schema;
  for (const seg of [...path, '']) {
    s = unwrap(s);
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    if (seg === '') return shape ? Object.keys(shape) : [];
    if (shape) s = shape[seg];
    else {
      const def = (s as { _zod?: { def?: { element?: unknown; valueType?: unknown } } })._zod?.def;
      s = def?.element ?? def?.valueType;
    }
    if (!s) return [];
  }
  return [];
}

function unwrap(s: unknown): unknown {
  for (let i = 0; i < 10; i++) {
    const def = (s as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown } } })?._zod?.def;
    if (!def) return s;
    if (
      def.type === 'optional' ||
      def.type === 'default' ||
      def.type === 'nullable' ||
      def.type === 'prefault'
    )
      s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return s;
  }
  return s;
}
