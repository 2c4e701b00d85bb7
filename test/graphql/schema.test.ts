import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../scripts/print-schema.ts';
import { schema } from '../../src/graphql/schema/index.ts';

/** The public contract, beside the repository (`../shared/contract.graphql`); only CI's clone has it. */
const CONTRACT = fileURLToPath(new URL('../../../shared/contract.graphql', import.meta.url));
const contract = existsSync(CONTRACT) ? buildSchema(readFileSync(CONTRACT, 'utf8')) : null;

describe('schema.graphql', () => {
  it('matches the schema built from the code (run npm run schema:print after a change)', () => {
    expect(readFileSync('schema.graphql', 'utf8')).toBe(printedSchema());
  });

  it('describes every type and field', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args)
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

/** What kind of type `type` is, as introspection names it. */
function kindOf(type: GraphQLNamedType): string {
  if (isObjectType(type)) return 'OBJECT';
  if (isInterfaceType(type)) return 'INTERFACE';
  if (isUnionType(type)) return 'UNION';
  if (isEnumType(type)) return 'ENUM';
  if (isInputObjectType(type)) return 'INPUT_OBJECT';
  return 'SCALAR';
}

/** A required input: non-null without a default (adding one breaks every client that omits it). */
function required(input: GraphQLArgument | GraphQLInputField): boolean {
  return isNonNullType(input.type) && input.defaultValue === undefined;
}

/** Compares the inputs (arguments or input fields) at `where`: same type and default; extras optional. */
function compareInputs(
  where: string,
  want: readonly (GraphQLArgument | GraphQLInputField)[],
  got: readonly (GraphQLArgument | GraphQLInputField)[],
  problems: string[],
): void {
  const have = new Map(got.map((input) => [input.name, input]));
  for (const w of want) {
    const g = have.get(w.name);
    if (!g) {
      problems.push(`missing ${where}.${w.name}`);
      continue;
    }
    if (String(g.type) !== String(w.type)) problems.push(`${where}.${w.name} is ${g.type}, not ${w.type}`);
    if (JSON.stringify(g.defaultValue) !== JSON.stringify(w.defaultValue))
      problems.push(
        `${where}.${w.name} defaults to ${JSON.stringify(g.defaultValue)}, not ${JSON.stringify(w.defaultValue)}`,
      );
  }
  const wanted = new Set(want.map((input) => input.name));
  for (const g of got)
    if (!wanted.has(g.name) && required(g))
      problems.push(`${where}.${g.name} is required but not in the contract`);
}

/** Every way `actual` departs from `wanted` (a contract it must contain: add freely, never rename or drop). */
function contractProblems(wanted: GraphQLSchema, actual: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(wanted.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const got = actual.getType(name);
    if (!got) {
      problems.push(`missing ${name}`);
      continue;
    }
    if (kindOf(got) !== kindOf(want)) {
      problems.push(`${name} is ${kindOf(got)}, not ${kindOf(want)}`);
      continue;
    }
    if (isEnumType(want) && isEnumType(got)) {
      const values = new Set(got.getValues().map((value) => value.name));
      for (const value of want.getValues())
        if (!values.has(value.name)) problems.push(`missing ${name}.${value.name}`);
    }
    if (isUnionType(want) && isUnionType(got)) {
      const members = new Set(got.getTypes().map((member) => member.name));
      for (const member of want.getTypes())
        if (!members.has(member.name)) problems.push(`${name} lacks the member ${member.name}`);
    }
    if ((isObjectType(want) || isInterfaceType(want)) && (isObjectType(got) || isInterfaceType(got))) {
      const interfaces = new Set(got.getInterfaces().map((i) => i.name));
      for (const i of want.getInterfaces())
        if (!interfaces.has(i.name)) problems.push(`${name} does not implement ${i.name}`);
      const fields: Record<string, GraphQLField<unknown, unknown>> = got.getFields();
      for (const [fieldName, field] of Object.entries(want.getFields())) {
        const have = fields[fieldName];
        if (!have) {
          problems.push(`missing ${name}.${fieldName}`);
          continue;
        }
        if (String(have.type) !== String(field.type))
          problems.push(`${name}.${fieldName} is ${have.type}, not ${field.type}`);
        compareInputs(`${name}.${fieldName}`, field.args, have.args, problems);
      }
    }
    if (isInputObjectType(want) && isInputObjectType(got))
      compareInputs(name, Object.values(want.getFields()), Object.values(got.getFields()), problems);
  }
  for (const want of wanted.getDirectives()) {
    const got = actual.getDirective(want.name);
    if (!got) problems.push(`missing @${want.name}`);
    else compareInputs(`@${want.name}`, want.args, got.args, problems);
  }
  return problems;
}

describe.skipIf(contract === null)(
  contract === null
    ? 'the public contract: SKIPPED, no ../shared/contract.graphql beside this clone (CI has it)'
    : 'the public contract (../shared/contract.graphql)',
  () => {
    it('holds every type with its kind, every field, argument and input field with its type and default, every enum value and union member', () => {
      expect(contractProblems(contract!, schema)).toEqual([]);
    });
  },
);

it('the contract comparison catches a changed kind, type or default, a dropped value, a new required input', () => {
  const wanted = buildSchema(`
    type Query { a(x: Int = 1, y: String): [Int!] b: E c(i: I, j: J): Int }
    enum E { ONE TWO }
    input I { p: Int = 5 q: String! }
    input J { p: Int = 5 }
  `);
  expect(contractProblems(wanted, wanted)).toEqual([]);
  const actual = buildSchema(`
    type Query { a(x: Int = 2, z: Int!): [Int] b: E c(i: I, j: J): Int d: Int }
    enum E { ONE THREE }
    type I { p: Int }
    input J { p: Int = 6, r: Int!, s: Int! = 1 }
  `);
  expect(contractProblems(wanted, actual)).toEqual([
    'Query.a is [Int], not [Int!]',
    'Query.a.x defaults to 2, not 1',
    'missing Query.a.y',
    'Query.a.z is required but not in the contract',
    'missing E.TWO',
    'I is OBJECT, not INPUT_OBJECT',
    'J.p defaults to 6, not 5',
    'J.r is required but not in the contract',
  ]);
});
