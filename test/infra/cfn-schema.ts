/**
 * Checks a synthesized template against the CloudFormation resource definitions of
 * `@aws-cdk/aws-service-spec` (the database aws-cdk-lib's own L1 classes are generated from): every
 * resource type exists, every property is one the type has, every required one is present, and every
 * value has the property's type, down through nested property types. Intrinsic functions stand for a
 * value of any type; both branches of an `Fn::If` are checked.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, ResourceProperties, SpecDatabase } from '@aws-cdk/service-spec-types';

let database: SpecDatabase | undefined;
const spec = () => {
  database ??= loadAwsServiceSpecSync();
  return database;
};

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'CreationPolicy',
  'UpdatePolicy',
]);

type Problems = string[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ Ref }` or a single `Fn::*` key: its value is known only at deploy time. */
function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) return undefined;
  return name === 'Ref' || name.startsWith('Fn::') ? [name, value[name]] : undefined;
}

function checkProperties(
  properties: Record<string, unknown>,
  definition: ResourceProperties,
  path: string,
  problems: Problems,
): void {
  for (const [name, property] of Object.entries(definition)) {
    if (property.required && properties[name] === undefined)
      problems.push(`${path}: required ${name} is missing`);
  }
  for (const [name, value] of Object.entries(properties)) {
    const property = definition[name];
    if (!property) problems.push(`${path}.${name}: not a property of this type`);
    else checkValue(value, property.type, `${path}.${name}`, problems);
  }
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

/** A number, or the text of one (CloudFormation converts it). */
const numeric = (value: unknown): number | undefined =>
  typeof value === 'number'
    ? value
    : typeof value === 'string' && NUMERIC_TEXT.test(value)
      ? Number(value)
      : undefined;

function stringMismatch(value: unknown, allowed: readonly string[] | undefined): string | undefined {
  if (typeof value !== 'string') return 'a string';
  return allowed && !allowed.includes(value) ? `one of ${allowed.join(', ')}` : undefined;
}

/** What a scalar value should have been, or `undefined` when it fits. */
function scalarMismatch(value: unknown, type: PropertyType): string | undefined {
  switch (type.type) {
    case 'string':
      return stringMismatch(value, type.allowedValues);
    case 'date-time':
      return typeof value === 'string' ? undefined : 'a date-time string';
    case 'number':
      return numeric(value) === undefined ? 'a number' : undefined;
    case 'integer':
      return Number.isInteger(numeric(value)) ? undefined : 'an integer';
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? undefined : 'a boolean';
    case 'null':
      return value === null ? undefined : 'null';
    case 'tag':
      return isObject(value) && typeof value.Key === 'string' && value.Value !== undefined
        ? undefined
        : 'a tag';
    default:
      return undefined;
  }
}

function checkComposite(
  value: unknown,
  type: PropertyType,
  path: string,
  problems: Problems,
): string | undefined {
  switch (type.type) {
    case 'array':
      if (!Array.isArray(value)) return 'a list';
      for (const [index, element] of value.entries())
        checkValue(element, type.element, `${path}[${index}]`, problems);
      return undefined;
    case 'map':
      if (!isObject(value)) return 'a map';
      for (const [key, element] of Object.entries(value))
        checkValue(element, type.element, `${path}.${key}`, problems);
      return undefined;
    case 'ref': {
      const definition = spec().get('typeDefinition', type.reference.$ref);
      if (!isObject(value)) return `a ${definition.name} object`;
      checkProperties(value, definition.properties, path, problems);
      return undefined;
    }
    case 'union': {
      const fits = type.types.some((option) => {
        const attempt: Problems = [];
        checkValue(value, option, path, attempt);
        return attempt.length === 0;
      });
      return fits ? undefined : `any of ${type.types.map((option) => option.type).join(', ')}`;
    }
    default:
      return scalarMismatch(value, type);
  }
}

function checkValue(value: unknown, type: PropertyType, path: string, problems: Problems): void {
  const fn = intrinsic(value);
  if (fn) {
    const [name, args] = fn;
    if (name !== 'Fn::If' || !Array.isArray(args)) return;
    for (const branch of args.slice(1)) {
      if (!(isObject(branch) && branch.Ref === 'AWS::NoValue')) checkValue(branch, type, path, problems);
    }
    return;
  }
  if (type.type === 'json') return;
  const mismatch = checkComposite(value, type, path, problems);
  if (mismatch) problems.push(`${path}: ${JSON.stringify(value)?.slice(0, 80)} is not ${mismatch}`);
}

/** Every problem of the template's resources; empty when all fit their CloudFormation definitions. */
export function cfnSchemaProblems(template: {
  Resources?: Record<string, Record<string, unknown>>;
}): string[] {
  const problems: Problems = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const type = String(resource.Type);
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) problems.push(`${id}: ${key} is not a resource attribute`);
    }
    const properties = isObject(resource.Properties) ? resource.Properties : {};
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      if (properties.ServiceToken === undefined) problems.push(`${id} (${type}): ServiceToken is missing`);
      continue;
    }
    const [definition] = spec().lookup('resource', 'cloudFormationType', 'equals', type);
    if (!definition) {
      problems.push(`${id}: ${type} is not a CloudFormation resource type`);
      continue;
    }
    checkProperties(properties, definition.properties, `${id} (${type})`, problems);
  }
  return problems;
}
