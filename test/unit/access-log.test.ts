import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../lambda/core/access-log.js';
import {
  ACCESS_FIELDS,
  analyzeAccessLogFormat,
  classifyDocuments,
  parseAccessLine,
  recommendedAccessLogFormat,
} from '../../lambda/core/index.js';
import {
  A4,
  ACCESS_GROUP,
  DEFAULT_HTTP_CLF,
  DEFAULT_HTTP_CSV,
  DEFAULT_REST_CLF,
  DEFAULT_REST_CSV,
  DEFAULT_REST_XML,
  documentOf,
} from '../fixtures/evidence.js';

/** What API Gateway would write for `format`: every `$context.x` replaced by a value. */
function render(format: string, values: Record<string, string>): string {
  return format.replace(
    /\$context\.[A-Za-z0-9_.]+[A-Za-z0-9_]/g,
    (variable) => values[variable.slice('$context.'.length)] ?? '-',
  );
}

describe('console default formats (evidence §2.2)', () => {
  it('reads the REST CLF line field by field', () => {
    expect(parseAccessLine(DEFAULT_REST_CLF)?.values).toEqual({
      sourceIp: '76.33.40.125',
      requestTime: '22/Jul/2026:03:52:54 +0000',
      httpMethod: 'GET',
      protocol: 'HTTP/1.1',
      status: '403',
      requestId: 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
      resourcePath: '/PythonResource',
      extendedRequestId: 'A463pHJGPHcEQGQ=',
    });
  });

  it('reads the HTTP CLF route key with its space', () => {
    expect(parseAccessLine(DEFAULT_HTTP_CLF)?.values).toMatchObject({
      routeKey: 'GET /pets',
      status: '403',
      requestId: 'Mc7UVioPPHcEKPA=',
    });
  });

  it.each([
    ['REST CSV', DEFAULT_REST_CSV, 'csv'],
    ['HTTP CSV', DEFAULT_HTTP_CSV, 'csv'],
    ['REST XML', DEFAULT_REST_XML, 'xml'],
  ])('reads the %s line', (_name, line, format) => {
    const record = parseAccessLine(line);
    expect(record?.format).toBe(format);
    expect(record?.values.status).toBe('403');
    expect(record?.values.requestId).toMatch(/^(eed63f63|Mc7UVioPPHcEKPA=)/);
  });

  it('treats "-" as unset but remembers that the format logs the field (A4)', () => {
    const record = parseAccessLine(A4);
    expect(record?.values.errorMessage).toBeUndefined();
    expect(record?.logged.has('errorMessage')).toBe(true);
    expect(record?.values.status).toBe('200');
    expect(record?.values.sourceIp).toBe('99.0.128.123');
    expect(record?.values.integrationStatus).toBe('200');
  });
});

describe('the recommended format', () => {
  it.each(['rest', 'http'] as const)('%s: every field it logs is read back from a rendered line', (kind) => {
    const format = recommendedAccessLogFormat(kind);
    const values = Object.fromEntries(ACCESS_FIELDS.map((entry) => [entry.variable, `v-${entry.field}`]));
    const record = parseAccessLine(render(format, values));
    const expected = ACCESS_FIELDS.filter(
      (entry) =>
        !['apiKey', 'errorMessageString'].includes(entry.field) &&
        (kind === 'rest' ? entry.rest : entry.http),
    );
    for (const entry of expected)
      expect(record?.values[entry.field], entry.variable).toBe(`v-${entry.field}`);
    expect(format).not.toContain('$context.identity.apiKey"');
  });

  it.each(['rest', 'http'] as const)('%s: a line rendered with quoted values is valid JSON', (kind) => {
    const line = render(recommendedAccessLogFormat(kind), {
      'error.message': 'Forbidden',
      'error.messageString': '"Forbidden"',
    });
    expect(() => JSON.parse(line)).not.toThrow();
    expect(recommendedAccessLogFormat(kind)).not.toContain('messageString');
  });

  it('HTTP leaves out the REST-only variables', () => {
    const format = recommendedAccessLogFormat('http');
    expect(format).not.toContain('$context.waf');
    expect(format).not.toContain('$context.resourcePath');
    expect(format).toContain('$context.routeKey');
  });

  it('is classifiable, and the console defaults are not', () => {
    expect(analyzeAccessLogFormat(recommendedAccessLogFormat('rest'))).toMatchObject({
      kind: 'json',
      classifiable: true,
      missingVariables: [],
    });
    expect(analyzeAccessLogFormat(recommendedAccessLogFormat('http'), 'http')).toMatchObject({
      classifiable: true,
      missingVariables: [],
    });
    const clf =
      '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId';
    const analysis = analyzeAccessLogFormat(clf);
    expect(analysis).toMatchObject({ kind: 'clf', classifiable: false });
    expect(analysis.missingVariables).toEqual(
      expect.arrayContaining([
        '$context.error.message',
        '$context.error.responseType',
        '$context.wafResponseCode',
      ]),
    );
  });

  it('a WAF block rendered in the recommended format is classified WAF_FILTERED', () => {
    const line = render(recommendedAccessLogFormat('rest'), {
      requestId: 'r1',
      status: '403',
      'error.message': 'Forbidden',
      'error.responseType': 'WAF_FILTERED',
      wafResponseCode: 'WAF_BLOCK',
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
    });
    const { findings } = classifyDocuments([documentOf(ACCESS_GROUP, [line])]);
    expect(findings.map((finding) => [finding.category, finding.apiId, finding.stage])).toEqual([
      ['WAF_FILTERED', 'a1b2c3d4e5', 'prod'],
    ]);
  });
});

describe('docs/access-log-fields.md', () => {
  it('lists every recognised variable and spelling', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../docs/access-log-fields.md', import.meta.url), 'utf8');
    for (const entry of ACCESS_FIELDS) {
      const row = doc
        .split('\n')
        .find((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1] === `$context.${entry.variable}`);
      expect(row, entry.variable).toBeDefined();
      for (const alias of [entry.recommendedKey, ...entry.aliases]) expect(row).toContain(`\`${alias}\``);
    }
  });
});

describe('deeply nested JSON lines', () => {
  const wrap = (depth: number, inner: string) => `${'{"x":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;

  it('a line nested far deeper than any format is not an access line, and does not throw', () => {
    expect(parseAccessLine(wrap(20_000, '1'))).toBeUndefined();
    expect(parseAccessLine(`{"requestId":"r-1","status":"403","deep":${wrap(20_000, '1')}}`)).toBeUndefined();
  });

  it('a line nested as deep as the limit is still read', () => {
    const at = (depth: number) =>
      parseAccessLine(`{"requestId":"r-1","status":"403","d":${wrap(depth, '1')}}`);
    expect(at(MAX_JSON_DEPTH - 1)?.values).toMatchObject({ requestId: 'r-1', status: '403' });
    expect(at(MAX_JSON_DEPTH)).toBeUndefined();
  });
});
