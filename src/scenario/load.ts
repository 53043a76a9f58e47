import { readFileSync, statSync } from 'node:fs';
import {
  CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  type Node as YamlNode,
} from 'yaml';
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
  return parseText(file, readScenarioText(file), schema);
}

/**
 * A scenario is a few kilobytes (the largest shipped one is under 3 KB); traces live in their own files.
 * The limits below keep a hostile or runaway file from taking seconds or the whole heap to reject.
 */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Levels of nesting (mappings and lists). A scenario uses about 6. */
export const MAX_NESTING_DEPTH = 64;
/** Alias nodes (`*name`) in one file. */
export const MAX_ALIASES = 1000;
/** Nodes of the document once every alias is expanded: stops "billion laughs" alias bombs. */
export const MAX_EXPANDED_NODES = 100_000;

/** Reads a scenario-like file, refusing files too large to be one (exit 64, never a crash). */
export function readScenarioText(file: string): string {
  let text: string;
  try {
    // Checked before reading when the size is known (a pipe's is not): a huge file is refused at once.
    const stat = statSync(file);
    if (stat.isFile() && stat.size > MAX_SCENARIO_BYTES) throw tooLarge(file, stat.size);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioValidationError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SquallError(
      'ERR_SQUALL_SCENARIO_FILE',
      `${file}: cannot read the file (${code ?? String(e)})`,
      {
        hint:
          code === 'ENOENT'
            ? 'check the path; `squall init` writes a starter scenario'
            : code === 'EISDIR'
              ? 'pass scenario files, e.g. scenarios/ci/*.yaml'
              : undefined,
      },
    );
  }
  return text;
}

function tooLarge(file: string, bytes: number): ScenarioValidationError {
  return new ScenarioValidationError(file, [
    {
      file,
      line: 1,
      col: 1,
      path: '',
      message: `the file is ${bytes.toLocaleString('en-US')} bytes; a scenario file may be at most ${MAX_SCENARIO_BYTES.toLocaleString('en-US')}`,
      hint: 'long request traces go in their own file (traffic: trace:)',
    },
  ]);
}

export function parseText<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SCENARIO_BYTES) throw tooLarge(file, bytes);
  const tooDeep = flowTooDeep(text);
  if (tooDeep !== undefined)
    throw new ScenarioValidationError(file, [{ file, ...tooDeepProblem(text, tooDeep) }]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioValidationError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        // The parser recurses per level; past a thousand or so levels it runs out of stack (and says so).
        const overflow = e.message.includes('call stack');
        return {
          file,
          line: pos.line,
          col: pos.col,
          path: '',
          message: overflow
            ? `nested too deeply (more than ${MAX_NESTING_DEPTH} levels)`
            : `not valid YAML: ${e.message.split('\n')[0]}`,
          hint: overflow
            ? 'a scenario nests a few levels deep; look for runaway indentation or brackets'
            : 'check indentation and quoting; tabs are not allowed in YAML',
        };
      }),
    );
  }
  const aliasProblems = checkAliases(doc, lineCounter, file);
  if (aliasProblems.length > 0) throw new ScenarioValidationError(file, aliasProblems);
  let data: unknown;
  try {
    // Aliases are bounded by checkAliases, exactly; the library's own heuristic would refuse more.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    // Not expected after the checks above; still the user's file, so still a positioned problem.
    throw new ScenarioValidationError(file, [
      {
        file,
        line: 1,
        col: 1,
        path: '',
        message: `not valid YAML: ${(e as Error).message}`,
        hint: 'check anchors (&name) and aliases (*name)',
      },
    ]);
  }
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

/**
 * The deepest flow nesting (`[` / `{`) of the text, scanning tokens only until it passes the limit:
 * the offset where it does, or undefined. Runs before the parser, whose time grows with the square of
 * the nesting (100,000 brackets took 7 s before it gave up on its stack).
 */
function flowTooDeep(text: string): number | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    // These markers are the lexer's own; every other token is a slice of the source.
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) continue;
    if (token === '[' || token === '{') {
      if (++depth > MAX_NESTING_DEPTH) return offset;
    } else if (token === ']' || token === '}') depth = Math.max(0, depth - 1);
    offset += token.length;
  }
  return undefined;
}

function tooDeepProblem(text: string, offset: number): Omit<ValidationProblem, 'file'> {
  const lc = new LineCounter();
  lc.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1))
    lc.addNewLine(i + 1);
  return {
    ...lc.linePos(offset),
    path: '',
    message: `nested more than ${MAX_NESTING_DEPTH} levels deep`,
    hint: 'a scenario nests a few levels deep; look for runaway brackets',
  };
}

/**
 * Anchors and aliases, checked on the syntax tree before anything is expanded: every alias refers to an
 * anchor set before it (and not to a node that contains it), there are at most MAX_ALIASES of them, the
 * expanded document stays under MAX_EXPANDED_NODES, and nothing nests deeper than MAX_NESTING_DEPTH.
 * Each problem points at the alias (or node) that caused it.
 */
function checkAliases(doc: Document, lc: LineCounter, file: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const anchors = new Map<string, unknown>();
  const expanded = new Map<unknown, number>();
  const open = new Set<unknown>();
  let aliases = 0;
  let total = 0;
  const problem = (node: unknown, path: readonly string[], message: string, hint: string) => {
    const range = (node as YamlNode | null)?.range;
    problems.push({
      file,
      ...(range ? lc.linePos(range[0]) : { line: 1, col: 1 }),
      path: path.join('.'),
      message,
      hint,
    });
  };
  const aliasHint = 'set the anchor (&name) before any alias (*name) to it';
  /** Nodes `node` (at `path`, `depth` levels down) stands for once expanded (1 for a scalar). */
  const walk = (node: unknown, path: readonly string[], depth: number): number => {
    if (problems.length > 0 || node === null || node === undefined) return 0;
    if (isAlias(node)) {
      if (++aliases > MAX_ALIASES) {
        problem(node, path, `more than ${MAX_ALIASES} aliases`, 'repeat fewer values through aliases');
        return 0;
      }
      const target = anchors.get(node.source);
      if (target === undefined) {
        problem(node, path, `alias *${node.source} refers to no anchor &${node.source} before it`, aliasHint);
        return 0;
      }
      if (open.has(target)) {
        problem(node, path, `alias *${node.source} refers to the node that contains it`, aliasHint);
        return 0;
      }
      const n = expanded.get(target) ?? 1;
      total += n;
      if (total > MAX_EXPANDED_NODES) {
        problem(
          node,
          path,
          `through its aliases, the document expands past ${MAX_EXPANDED_NODES.toLocaleString('en-US')} values (an alias bomb?)`,
          'write the values out, or repeat fewer of them through aliases',
        );
      }
      return n;
    }
    if (depth > MAX_NESTING_DEPTH) {
      problem(
        node,
        path,
        `nested more than ${MAX_NESTING_DEPTH} levels deep`,
        'a scenario nests a few levels deep',
      );
      return 0;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    let n = 1;
    total += 1;
    if (isCollection(node)) {
      open.add(node);
      for (const [i, item] of node.items.entries()) {
        if (isPair(item)) {
          const key = String((item.key as { value?: unknown } | null)?.value ?? item.key);
          n += walk(item.key, path, depth + 1) + walk(item.value, [...path, key], depth + 1);
        } else n += walk(item, [...path, String(i)], depth + 1);
      }
      open.delete(node);
    }
    expanded.set(node, n);
    return n;
  };
  walk(doc.contents, [], 0);
  return problems;
}
