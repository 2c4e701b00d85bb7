/**
 * The shape of a GraphQL request, checked where every transport passes (HTTP, both SSE modes and
 * graphql-ws all call the enveloped `parse`, `validate`, `execute` and `subscribe`):
 *
 * - **Document nesting.** Before a document is parsed, one iterative pass of the lexer measures how
 *   deep its brackets, braces and parentheses nest; deeper than `maxNesting` is `DEPTH_LIMIT`. The
 *   parser (graphql-js, and graphql-armor's token counting on top of it) is recursive: a list
 *   literal nested a few thousand deep would overflow the stack. The pass stops at the token limit
 *   (armor then reports `TOKEN_LIMIT`), so it costs at most what that limit allows.
 * - **Variables.** `variables` must be an object (or absent) whose arrays and objects nest at most
 *   `maxNesting` deep: `BAD_USER_INPUT` (HTTP 400) otherwise, measured iteratively, before anything
 *   recursive (coercion, graphql-jit, the result cache's key) touches the value.
 * - **Codes.** A parse error without a code gets `GRAPHQL_PARSE_FAILED`, a validation error
 *   `GRAPHQL_VALIDATION_FAILED`, whatever the transport (yoga adds them only on HTTP).
 */
import { GraphQLError, Lexer, Source, TokenKind } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';

/** The request errors of the GraphQL-over-HTTP spec: HTTP 400 with `application/graphql-response+json`. */
const SPEC_REQUEST_ERROR = { spec: true, status: 400 } as const;

/** A request error with a code (HTTP 400 for graphql-response+json, 200 for application/json). */
export function requestError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: SPEC_REQUEST_ERROR } });
}

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * How deep a document's brackets, braces and parentheses nest, reading at most `maxTokens` tokens
 * (what lies beyond is the token limit's business). Lexing errors end the pass: the parser reports
 * them.
 */
export function documentNesting(source: string, maxTokens: number): number {
  const lexer = new Lexer(new Source(source));
  let depth = 0;
  let deepest = 0;
  try {
    for (let n = 0; n <= maxTokens; n++) {
      const token = lexer.advance();
      if (token.kind === TokenKind.EOF) break;
      if (OPENING.has(token.kind)) {
        depth++;
        if (depth > deepest) deepest = depth;
      } else if (CLOSING.has(token.kind)) depth--;
    }
  } catch {
    // a syntax error: the parser reports it, with its place
  }
  return deepest;
}

/**
 * How deep arrays and objects nest in a JSON value (a scalar: 0), measured without recursion and
 * giving up as soon as the depth passes `limit` (then the result is `limit + 1`).
 */
export function valueNesting(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  const stack: { readonly value: object; readonly depth: number }[] = [{ value, depth: 1 }];
  let deepest = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.depth > deepest) {
      deepest = item.depth;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(item.value) ? item.value : Object.values(item.value);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: item.depth + 1 });
    }
  }
  return deepest;
}

/** What is wrong with the type of a request's variables (an object, or absent), or null. */
export function variablesTypeProblem(variables: unknown): GraphQLError | null {
  if (variables === undefined || variables === null) return null;
  if (typeof variables === 'object' && !Array.isArray(variables)) return null;
  return new GraphQLError(
    `variables must be a JSON object, got ${Array.isArray(variables) ? 'an array' : typeof variables}`,
    { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
  );
}

/** What is wrong with a request's variables (their type, their nesting), or null. */
export function variablesProblem(variables: unknown, maxNesting: number): GraphQLError | null {
  const wrongType = variablesTypeProblem(variables);
  if (wrongType !== null || variables === undefined || variables === null) return wrongType;
  const depth = valueNesting(variables, maxNesting);
  if (depth <= maxNesting) return null;
  return new GraphQLError(
    `variables nest more than ${maxNesting} levels of arrays and objects: at most ${maxNesting} are allowed`,
    { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
  );
}

function codeMissing(error: GraphQLError): boolean {
  return typeof (error.extensions as Record<string, unknown> | undefined)?.['code'] !== 'string';
}

function addCode(error: GraphQLError, code: string): void {
  const target = error as { extensions: Record<string, unknown> | undefined };
  target.extensions ??= {};
  const extensions = target.extensions;
  extensions['code'] = code;
  extensions['http'] ??= SPEC_REQUEST_ERROR;
}

/** The checks as an envelop plugin (after graphql-armor, so that it wraps armor's parser). */
export function requestShapePlugin(limits: {
  readonly maxNesting: number;
  readonly maxTokens: number;
}): Plugin {
  const checkVariables = ({ args }: { args: { variableValues?: unknown } }) => {
    const problem = variablesProblem(args.variableValues, limits.maxNesting);
    if (problem !== null) throw problem;
  };
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const text = typeof source === 'string' ? source : source.body;
        const depth = documentNesting(text, limits.maxTokens);
        if (depth > limits.maxNesting) {
          throw requestError(
            'DEPTH_LIMIT',
            `the document nests brackets, braces and parentheses ${depth} deep: at most ${limits.maxNesting} levels are allowed`,
          );
        }
        return parseFn(source, options);
      });
      return ({ result }) => {
        if (result instanceof GraphQLError && codeMissing(result)) addCode(result, 'GRAPHQL_PARSE_FAILED');
      };
    },
    onValidate() {
      return ({ valid, result }) => {
        if (valid) return;
        for (const error of result) if (codeMissing(error)) addCode(error, 'GRAPHQL_VALIDATION_FAILED');
      };
    },
    onExecute: checkVariables,
    onSubscribe: checkVariables,
  };
}
