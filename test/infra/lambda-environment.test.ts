/**
 * Lambda refuses a function whose environment (names and values) is over 4 KB at deploy, after a clean
 * synth: the construct refuses it at synth instead (attack finding 08), counting what CloudFormation fills
 * in at its longest. The watched stages (about 120 bytes each) and the noise policy are what grow it.
 * Bundling is skipped: these templates are read for their environments.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import {
  DEFERRED_VALUE_BYTES,
  LAMBDA_ENVIRONMENT_BYTES,
  worstCaseBytes,
} from '../../lib/lambda-environment.js';
import { Apigw403MonitorStack } from '../../lib/monitor-stack.js';
import { type Json, ofType } from './template-json.js';

const apis = (count: number) =>
  Array.from({ length: count }, (_, i) => {
    const id = `a${String(i).padStart(9, '0')}`;
    return {
      restApiId: id,
      stage: 'production',
      accessLogGroup: `/aws/apigateway/${id}/production`,
      executionLogs: true,
    };
  });

/** Mute rules as a team writes them: about 2,400 bytes, under the 2,500 the noise policy may take. */
const BIG_POLICY = {
  mute: Array.from({ length: 22 }, (_, i) => ({
    sourceIp: `198.51.${i}.0/24`,
    userAgentContains: `partner-monitor-${i}`,
    reason: `partner ${i} health checks`,
  })),
};

function build(context: Record<string, unknown>): Json {
  const parsed = parseConfig({ alertEmails: ['oncall@example.com'], ...context });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(
    new Apigw403MonitorStack(app, 'Apigw403Monitor', { config: parsed.config }),
  ).toJSON();
}

/** Independently of the construct: literal text as written, any other value (a reference) at its longest. */
function templateBytes(value: Json): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value?.['Fn::Join']) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map(templateBytes).reduce((a, b) => a + b, 0) + separator.length * (parts.length - 1);
  }
  return DEFERRED_VALUE_BYTES;
}

function largestEnvironment(json: Json): number {
  return Math.max(
    ...ofType(json, 'AWS::Lambda::Function').map(([, fn]) =>
      Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, Json>).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + templateBytes(value),
        0,
      ),
    ),
  );
}

const REFUSED =
  /Apigw403Monitor\/Monitor: the Monitor function's environment is up to \d+ bytes, over Lambda's 4096 \(4 KB\) limit: watch fewer stages per monitor/;

describe("the functions' environments fit Lambda's 4 KB", () => {
  it.each([
    { name: '40 listed stages', context: { apis: apis(40) } },
    { name: '30 listed stages', context: { apis: apis(30) } },
    {
      name: '14 listed stages and a noise policy under its own limit',
      context: { apis: apis(14), noisePolicy: BIG_POLICY },
    },
  ])('$name: refused at synth in one line', ({ context }) => {
    expect(Buffer.byteLength(JSON.stringify(BIG_POLICY))).toBeLessThan(2_500);
    expect(() => build(context)).toThrow(REFUSED);
  });

  it.each([
    { name: 'one stage', context: { apis: apis(1) } },
    { name: '20 listed stages', context: { apis: apis(20) } },
    { name: '4 listed stages and that noise policy', context: { apis: apis(4), noisePolicy: BIG_POLICY } },
  ])('$name: builds, and every environment fits with its references at their longest', ({ context }) => {
    expect(largestEnvironment(build(context))).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_BYTES);
  });

  it('counts literal text in bytes, references at their longest, joins as their parts', () => {
    expect(worstCaseBytes('é')).toBe(2);
    expect(worstCaseBytes({ Ref: 'Topic' })).toBe(DEFERRED_VALUE_BYTES);
    expect(worstCaseBytes({ 'Fn::Join': ['', ['[{"a":"', { 'Fn::GetAtt': ['Group', 'Arn'] }, '"}]']] })).toBe(
      10 + DEFERRED_VALUE_BYTES,
    );
    expect(worstCaseBytes({ 'Fn::Join': ['--', ['a', 'b', 'c']] })).toBe(7);
    const types = new Map([
      ['Orders', 'AWS::ApiGateway::RestApi'],
      ['OrdersStage', 'AWS::ApiGateway::Stage'],
      ['Logs', 'AWS::Logs::LogGroup'],
    ]);
    expect(
      [{ Ref: 'Orders' }, { Ref: 'OrdersStage' }, { Ref: 'Logs' }, { 'Fn::ImportValue': 'x' }].map((ref) =>
        worstCaseBytes(ref, types),
      ),
    ).toEqual([10, 128, DEFERRED_VALUE_BYTES, DEFERRED_VALUE_BYTES]);
  });
});
