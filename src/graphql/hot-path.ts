/**
 * The read path's executor: query documents compiled once into a plan that writes the JSON answer
 * directly, running the schema's own resolvers, with the bars of session intervals written from
 * fragments kept per series and per bar (src/graphql/bar-fragments.ts). Under a live feed the tree
 * changes all the time, so a cache keyed by the whole tree (src/graphql/result-cache.ts) rarely
 * hits; this one is invalidated per bar: a request re-serialises only what changed since the last.
 *
 * Rules:
 * - The answer is exactly what graphql-jit gives for the same document, variables and tree: the
 *   same resolvers (every field's own `resolve`, or the default property read), the same argument
 *   coercion (`getArgumentValues`, `getVariableValues`), the same serialisation (each leaf type's
 *   `serialize`, then `JSON.stringify`), fields in the order GraphQL collects them.
 * - Anything else goes to graphql-jit: a document with an abstract type, introspection, or a
 *   directive other than a literal `@skip` / `@include` is never compiled here; and when running a
 *   plan meets anything that would be an error — a resolver or a serializer throwing, a null in a
 *   non-null field, variables that do not coerce — the plan gives up and graphql-jit runs the whole
 *   request, errors and all (the read path has no side effects, and the request's DataLoaders keep
 *   what the plan already read, so no statement runs twice).
 * - Resolvers see an `info` with the field's nodes, types and fragments (what ours read), not the
 *   per-request path or variable values.
 * - The answer carries its UTF-8 bytes (src/graphql/json-answers.ts writes them in one go) and a
 *   `data` read lazily from them (for the WebSocket and SSE transports).
 */
import {
  type DirectiveNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLBoolean,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLFieldResolver,
  GraphQLFloat,
  GraphQLInt,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLScalarType,
  type GraphQLSchema,
  GraphQLString,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';
import type { Bar } from '../domain/types.ts';
import { SessionInterval } from '../session/session-interval.ts';
import { SeriesFragments } from './bar-fragments.ts';
import type { Context } from './context.ts';
import { rememberAnswerBytes } from './json-answers.ts';
import { BarPage, encodeCursor } from './paging.ts';

/** How many queries the plans answered, and how many they left to graphql-jit (since start). */
export const hotPathStats = { answered: 0, gaveUp: 0, notCompiled: 0 };

const encoder = new TextEncoder();

/** Thrown (or rejected with) when a plan gives up: graphql-jit answers instead. */
const GIVE_UP = Symbol('give up');

/** A document this executor does not compile. */
class Unsupported extends Error {}

type Output =
  | { readonly kind: 'nonNull'; readonly of: Output }
  | { readonly kind: 'list'; readonly of: Output }
  | { readonly kind: 'leaf'; readonly type: GraphQLScalarType | GraphQLEnumType }
  | ObjectOutput;

interface ObjectOutput {
  readonly kind: 'object';
  readonly type: GraphQLObjectType;
  readonly fields: readonly FieldPlan[];
}

interface FieldPlan {
  /** `"key":`, with a leading comma for every field but the first. */
  readonly prefix: string;
  /** The answer of `__typename`; null for any other field. */
  readonly typename: string | null;
  readonly def: GraphQLField<unknown, unknown> | null;
  readonly node: FieldNode;
  readonly resolve: GraphQLFieldResolver<unknown, unknown> | null;
  /** The arguments when they use no variable (computed once). */
  readonly args: Record<string, unknown> | null;
  readonly info: GraphQLResolveInfo;
  readonly output: Output;
  /** The leaf kind written without a serializer call (OTHER: none). */
  readonly leaf: number;
  /** Whether the field is non-null. */
  readonly required: boolean;
  /** `BarConnection.nodes` / `edges`: the bars of a session interval, from kept fragments. */
  readonly bars: {
    readonly edges: boolean;
    readonly item: ObjectOutput;
    readonly fragments: SeriesFragments;
  } | null;
}

interface OperationPlan {
  readonly operation: OperationDefinitionNode;
  readonly root: ObjectOutput;
}

/** A piece of the answer: text, the UTF-8 bytes of a kept page, or what a pending field will write. */
type Chunk = string | Uint8Array;
type Part = Chunk | Promise<Chunk[]>;

interface Run {
  readonly context: Context;
  readonly variables: Record<string, unknown>;
  /** Every promise the run made: when it gives up, none may reject unheard. */
  readonly pending: Promise<unknown>[];
}

function usesVariables(node: ValueNode): boolean {
  switch (node.kind) {
    case Kind.VARIABLE:
      return true;
    case Kind.LIST:
      return node.values.some(usesVariables);
    case Kind.OBJECT:
      return node.fields.some((f) => usesVariables(f.value));
    default:
      return false;
  }
}

/** Whether a selection is included: literal @skip / @include only. */
function included(node: { readonly directives?: readonly DirectiveNode[] | undefined }): boolean {
  let keep = true;
  for (const directive of node.directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') throw new Unsupported(`@${name}`);
    const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) throw new Unsupported(`@${name} with a variable`);
    if (name === 'skip' && condition.value) keep = false;
    if (name === 'include' && !condition.value) keep = false;
  }
  return keep;
}

class Compiler {
  /** Whether a field of the plan writes kept fragments (else graphql-jit does as well). */
  cached = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Record<string, FragmentDefinitionNode>,
    private readonly operation: OperationDefinitionNode,
  ) {}

  /**
   * Fields by response key, in graphql-jit's collection order: a key takes its place at its first
   * occurrence, skipped or not (graphql-js places it at its first included one), and goes when no
   * occurrence of it is included.
   */
  private collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
    const fields = new Map<string, FieldNode[]>();
    const visit = (set: SelectionSetNode, keep: boolean) => {
      for (const selection of set.selections) {
        const include = included(selection) && keep;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let list = fields.get(key);
          if (list === undefined) {
            list = [];
            fields.set(key, list);
          }
          if (include) list.push(selection);
        } else {
          const fragment =
            selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments[selection.name.value];
          if (fragment === undefined) throw new Unsupported('unknown fragment');
          const condition = fragment.typeCondition?.name.value;
          if (condition !== undefined && condition !== type.name) {
            if (!isObjectType(this.schema.getType(condition))) throw new Unsupported('abstract type');
            continue;
          }
          visit(fragment.selectionSet, include);
        }
      }
    };
    for (const set of sets) visit(set, true);
    for (const [key, list] of fields) if (list.length === 0) fields.delete(key);
    return fields;
  }

  object(type: GraphQLObjectType, sets: readonly SelectionSetNode[], sessionBars = false): ObjectOutput {
    const fields: FieldPlan[] = [];
    for (const [key, nodes] of this.collect(type, sets)) {
      const node = nodes[0]!;
      const name = node.name.value;
      const prefix = `${fields.length === 0 ? '' : ','}${JSON.stringify(key)}:`;
      if (name.startsWith('__')) {
        if (name !== '__typename') throw new Unsupported('introspection');
        fields.push({
          prefix,
          typename: JSON.stringify(type.name),
          def: null,
          node,
          resolve: null,
          args: null,
          info: null as never,
          output: null as never,
          leaf: OTHER,
          required: true,
          bars: null,
        });
        continue;
      }
      const def = type.getFields()[name] as GraphQLField<unknown, unknown> | undefined;
      if (def === undefined) throw new Unsupported(`no field ${name}`);
      const subSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      // The bars of a session interval (`Interval.bars`) are what fragments are kept of.
      const output = this.output(def.type, subSets, type.name === 'Interval' && name === 'bars');
      const dynamic = (node.arguments ?? []).some((a) => usesVariables(a.value));
      let args: Record<string, unknown> | null = null;
      if (!dynamic) {
        try {
          args = getArgumentValues(def, node, {});
        } catch {
          throw new Unsupported('arguments that do not coerce');
        }
      }
      const info = {
        fieldName: name,
        fieldNodes: nodes,
        returnType: def.type,
        parentType: type,
        path: { prev: undefined, key, typename: type.name },
        schema: this.schema,
        fragments: this.fragments,
        rootValue: undefined,
        operation: this.operation,
        variableValues: {},
      } as GraphQLResolveInfo;
      let bars: FieldPlan['bars'] = null;
      if (sessionBars && type.name === 'BarConnection' && (name === 'nodes' || name === 'edges')) {
        let item = output;
        while (item.kind === 'nonNull' || item.kind === 'list') item = item.of;
        if (item.kind === 'object') {
          bars = { edges: name === 'edges', item, fragments: new SeriesFragments() };
          this.cached = true;
        }
      }
      fields.push({
        prefix,
        typename: null,
        def,
        node,
        resolve: def.resolve ?? null,
        args,
        info,
        output,
        leaf: leafOf(output),
        required: output.kind === 'nonNull',
        bars,
      });
    }
    return { kind: 'object', type, fields };
  }

  private output(type: GraphQLOutputType, sets: readonly SelectionSetNode[], sessionBars: boolean): Output {
    if (isNonNullType(type)) return { kind: 'nonNull', of: this.output(type.ofType, sets, sessionBars) };
    if (isListType(type)) return { kind: 'list', of: this.output(type.ofType, sets, sessionBars) };
    if (isScalarType(type) || isEnumType(type)) return { kind: 'leaf', type };
    if (isObjectType(type)) return this.object(type, sets, sessionBars);
    throw new Unsupported('abstract type');
  }
}

/**
 * Compiles a query operation; null when it is not one this executor runs, or when none of its
 * fields reads session bars (nothing would be kept: graphql-jit is as fast).
 */
export function compileOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationPlan | null {
  const operation = getOperationAST(document, operationName);
  const root = schema.getQueryType();
  if (
    operation === null ||
    operation === undefined ||
    operation.operation !== 'query' ||
    root === null ||
    root === undefined
  )
    return null;
  if ((operation.directives?.length ?? 0) > 0) return null;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  try {
    return {
      operation,
      root: new Compiler(schema, fragments, operation).object(root, [operation.selectionSet]),
    };
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The parts as chunks (awaiting those still being read). */
function settleParts(parts: readonly Part[]): Chunk[] | Promise<Chunk[]> {
  if (!parts.some((part) => typeof part === 'object' && !(part instanceof Uint8Array)))
    return parts as Chunk[];
  return Promise.all(
    parts.map((part) => (typeof part === 'object' && !(part instanceof Uint8Array) ? part : [part])),
  ).then((all) => (all as Chunk[][]).flat());
}

/** Where a plan writes: text appended to `text`; bytes and pending parts close the text before them. */
class Out {
  text = '';
  readonly parts: Part[] = [];

  bytes(bytes: Uint8Array): void {
    if (this.text !== '') this.parts.push(this.text);
    this.text = '';
    this.parts.push(bytes);
  }

  pending(promise: Promise<Chunk[]>): void {
    if (this.text !== '') this.parts.push(this.text);
    this.text = '';
    this.parts.push(promise);
  }

  /** Everything written (the parts still pending, awaited). */
  done(): Chunk[] | Promise<Chunk[]> {
    if (this.text !== '') this.parts.push(this.text);
    this.text = '';
    return settleParts(this.parts);
  }

  /** Everything written, which must be text written at once (the JSON of one bar). */
  textNow(): string {
    if (this.parts.length > 0) throw GIVE_UP;
    return this.text;
  }
}

function writeObject(plan: ObjectOutput, value: unknown, run: Run, out: Out): void {
  out.text += '{';
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    out.text += field.prefix;
    if (field.typename !== null) out.text += field.typename;
    else writeField(field, value, run, out);
  }
  out.text += '}';
}

function resolveField(field: FieldPlan, parent: unknown, run: Run): unknown {
  try {
    if (field.resolve === null) {
      const property = (parent as Record<string, unknown>)[field.info.fieldName];
      if (typeof property !== 'function') return property;
      const args = field.args ?? getArgumentValues(field.def!, field.node, run.variables);
      return property.call(parent, args, run.context, field.info);
    }
    const args = field.args ?? getArgumentValues(field.def!, field.node, run.variables);
    return field.resolve(parent, args, run.context, field.info);
  } catch {
    throw GIVE_UP;
  }
}

function writeField(field: FieldPlan, parent: unknown, run: Run, out: Out): void {
  if (field.bars !== null && parent instanceof BarPage && parent.sequence instanceof SessionInterval) {
    out.bytes(writeSessionBars(field, parent, parent.sequence, run));
    return;
  }
  const value = resolveField(field, parent, run);
  if (field.leaf !== OTHER && writeLeaf(field.leaf, field.required, value, out)) return;
  if (isThenable(value)) {
    const promise = Promise.resolve(value).then(
      (resolved): Chunk[] | Promise<Chunk[]> => {
        const sub = new Out();
        complete(field.output, resolved, run, sub);
        return sub.done();
      },
      () => {
        throw GIVE_UP;
      },
    );
    run.pending.push(promise);
    out.pending(promise);
    return;
  }
  complete(field.output, value, run, out);
}

/** Leaf types written without their serializer (which would give the same for these values). */
const OTHER = 0;
const FLOAT = 1;
const INT = 2;
const BOOLEAN = 3;
const STRING = 4;
const DATE_TIME = 5;

function leafOf(output: Output): number {
  const type = output.kind === 'nonNull' ? output.of : output;
  if (type.kind !== 'leaf') return OTHER;
  if (type.type === GraphQLFloat) return FLOAT;
  if (type.type === GraphQLInt) return INT;
  if (type.type === GraphQLBoolean) return BOOLEAN;
  if (type.type === GraphQLString) return STRING;
  return type.type.name === 'DateTime' ? DATE_TIME : OTHER;
}

/**
 * Writes a leaf value of one of the common kinds as its serializer would (null where the field is
 * nullable); false when the value is not the plain kind (the serializer decides then).
 */
function writeLeaf(leaf: number, required: boolean, value: unknown, out: Out): boolean {
  if (value === null || value === undefined) {
    if (required) throw GIVE_UP;
    out.text += 'null';
    return true;
  }
  switch (leaf) {
    case FLOAT:
      if (typeof value !== 'number') return false;
      if (!Number.isFinite(value)) throw GIVE_UP;
      out.text += String(value);
      return true;
    case INT:
      if (typeof value !== 'number') return false;
      if (!Number.isInteger(value) || value > 2_147_483_647 || value < -2_147_483_648) throw GIVE_UP;
      out.text += String(value);
      return true;
    case BOOLEAN:
      if (typeof value !== 'boolean') return false;
      out.text += value ? 'true' : 'false';
      return true;
    case STRING:
      if (typeof value !== 'string') return false;
      out.text += JSON.stringify(value);
      return true;
    case DATE_TIME: {
      if (typeof value !== 'number') return false;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw GIVE_UP;
      out.text += `"${date.toISOString()}"`;
      return true;
    }
    default:
      return false;
  }
}

function complete(output: Output, value: unknown, run: Run, out: Out): void {
  if (value instanceof Error || isThenable(value)) throw GIVE_UP;
  if (output.kind === 'nonNull') {
    if (value === null || value === undefined) throw GIVE_UP;
    complete(output.of, value, run, out);
    return;
  }
  if (value === null || value === undefined) {
    out.text += 'null';
    return;
  }
  switch (output.kind) {
    case 'list': {
      if (!Array.isArray(value)) throw GIVE_UP;
      out.text += '[';
      const item = output.of;
      const leaf = leafOf(item);
      const required = item.kind === 'nonNull';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out.text += ',';
        const element: unknown = value[i];
        if (leaf !== OTHER && writeLeaf(leaf, required, element, out)) continue;
        complete(item, element, run, out);
      }
      out.text += ']';
      return;
    }
    case 'leaf': {
      let text: string | undefined;
      try {
        const serialized: unknown = output.type.serialize(value);
        if (serialized === null || serialized === undefined) throw GIVE_UP;
        text = JSON.stringify(serialized);
      } catch {
        throw GIVE_UP;
      }
      if (text === undefined) throw GIVE_UP;
      out.text += text;
      return;
    }
    case 'object':
      writeObject(output, value, run, out);
  }
}

/** A bar (or its edge) of a session interval as JSON: from its kept fragment when still valid. */
function writeSessionBars(
  field: FieldPlan,
  page: BarPage,
  interval: SessionInterval,
  run: Run,
): Uint8Array<ArrayBuffer> {
  const { item, fragments, edges } = field.bars!;
  const series = interval.series;
  const kept = fragments.of(series);
  const closed = interval.completeWindows();
  const whole = kept.getPage(page.start, page.end, series.latestSeq, closed);
  if (whole !== undefined) return whole;
  let text = '[';
  for (let p = page.start; p < page.end; p++) {
    if (p > page.start) text += ',';
    const slot = series.slotAt(p);
    const seq = series.seqOf(slot);
    const done = slot < closed;
    let bar = kept.get(slot, seq, done);
    if (bar === undefined) {
      const value: Bar = interval.barOfSlot(slot);
      const sub = new Out();
      writeObject(item, edges ? { cursor: encodeCursor(value.ts), node: value } : value, run, sub);
      bar = sub.textNow();
      kept.set(slot, seq, done, bar);
    }
    text += bar;
  }
  text += ']';
  const bytes = encoder.encode(text);
  kept.setPage(page.start, page.end, series.latestSeq, closed, bytes);
  return bytes;
}

/** The answer's bytes: its chunks, text encoded, one after the other. */
function bytesOf(chunks: readonly Chunk[]): Uint8Array<ArrayBuffer> {
  const encoded = chunks.map((chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk));
  let length = 0;
  for (const chunk of encoded) length += chunk.byteLength;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of encoded) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const decoder = new TextDecoder();

/**
 * An answer made of its JSON chunks: bytes remembered for the HTTP answer, the text decoded and
 * `data` parsed only when something reads them (the result cache's size check, WebSocket, SSE).
 */
function answerOf(chunks: readonly Chunk[]): ExecutionResult {
  const bytes = bytesOf(chunks);
  let text: string | null = null;
  const body = () => {
    text ??= decoder.decode(bytes);
    return text;
  };
  const result = {} as ExecutionResult;
  Object.defineProperty(result, 'data', {
    enumerable: true,
    configurable: true,
    get() {
      const data = (JSON.parse(body()) as ExecutionResult).data;
      Object.defineProperty(result, 'data', {
        value: data,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return data;
    },
  });
  Object.defineProperty(result, 'stringify', { value: body, enumerable: false });
  rememberAnswerBytes(result, bytes);
  return result;
}

/**
 * Runs a plan: the answer's JSON text, or GIVE_UP (synchronously or as the promise's value) when
 * graphql-jit must answer instead.
 */
export function runPlan(
  plan: OperationPlan,
  args: ExecutionArgs,
): Chunk[] | typeof GIVE_UP | Promise<Chunk[] | typeof GIVE_UP> {
  const schema = args.schema;
  const coerced = getVariableValues(
    schema,
    plan.operation.variableDefinitions ?? [],
    args.variableValues ?? {},
  );
  if (coerced.errors !== undefined) return GIVE_UP;
  const run: Run = { context: args.contextValue as Context, variables: coerced.coerced, pending: [] };
  const out = new Out();
  out.text = '{"data":';
  try {
    writeObject(plan.root, args.rootValue, run, out);
    out.text += '}';
  } catch (error) {
    for (const promise of run.pending) promise.catch(() => {});
    if (error === GIVE_UP) return GIVE_UP;
    throw error;
  }
  const body = out.done();
  if (Array.isArray(body)) return body;
  return body.then(
    (chunks) => chunks,
    (error: unknown) => {
      for (const promise of run.pending) promise.catch(() => {});
      if (error === GIVE_UP) return GIVE_UP;
      throw error;
    },
  );
}

/** The executor as a yoga plugin: place it after the graphql-jit plugin, whose executor it falls back to. */
export function hotPathPlugin(): Plugin<Context> {
  const plans = new WeakMap<DocumentNode, Map<string, OperationPlan | null>>();
  const planOf = (schema: GraphQLSchema, document: DocumentNode, name: string | null | undefined) => {
    let byName = plans.get(document);
    if (byName === undefined) {
      byName = new Map();
      plans.set(document, byName);
    }
    const key = name ?? '';
    let plan = byName.get(key);
    if (plan === undefined) {
      plan = compileOperation(schema, document, name);
      byName.set(key, plan);
    }
    return plan;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const plan = planOf(args.schema, args.document, args.operationName);
      if (plan === null) {
        hotPathStats.notCompiled++;
        return;
      }
      const settle = (chunks: Chunk[] | typeof GIVE_UP, execution: ExecutionArgs) => {
        if (chunks !== GIVE_UP) {
          hotPathStats.answered++;
          return answerOf(chunks);
        }
        hotPathStats.gaveUp++;
        return executeFn(execution);
      };
      setExecuteFn((execution: ExecutionArgs) => {
        const answer = runPlan(plan, execution);
        return answer instanceof Promise
          ? answer.then((chunks) => settle(chunks, execution))
          : settle(answer, execution);
      });
    },
  };
}
