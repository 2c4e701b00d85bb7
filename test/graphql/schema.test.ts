import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType } from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../../scripts/print-schema.ts';
import { schema } from '../../src/graphql/schema/index.ts';

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

  it('holds every type, field, argument and enum value of the contract with its nullability', () => {
    const contractPath = '../shared/contract.graphql';
    let text: string;
    try {
      text = readFileSync(contractPath, 'utf8');
    } catch {
      return; // the shared contract is not beside this clone
    }
    const contract = buildSchema(text);
    const problems: string[] = [];
    for (const [name, want] of Object.entries(contract.getTypeMap())) {
      if (name.startsWith('__')) continue;
      const got = schema.getType(name);
      if (!got) {
        problems.push(`missing ${name}`);
        continue;
      }
      if (isObjectType(want) && isObjectType(got)) {
        for (const [fieldName, field] of Object.entries(want.getFields())) {
          const have = got.getFields()[fieldName];
          if (!have) problems.push(`missing ${name}.${fieldName}`);
          else if (String(have.type) !== String(field.type))
            problems.push(`${name}.${fieldName} is ${have.type}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
