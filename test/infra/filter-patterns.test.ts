import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recommendedAccessLogFormat } from '../../lambda/core/access-log-format.js';
import {
  accessLogFilterPattern,
  EXECUTION_LOG_TERMS,
  executionLogFilterPattern,
  FilterPatternSyntaxError,
  FilterPatternTooLongError,
  FORBIDDEN_RESPONSE_TYPES,
  forbiddenLineOf,
  jsonKeyPaths,
  jsonSelector,
  MAX_FILTER_PATTERN_LENGTH,
  matchesFilterPattern,
  patternOptionsFor,
  selectsForbiddenLines,
} from '../../lib/filter-patterns.js';
import { DEFAULT_CLF_FORMAT as DEFAULT_CLF, FLAT_REST_FORMAT as FLAT } from '../fixtures/access-formats.js';

// Verbatim lines, labelled as in test/fixtures/evidence.ts.
const REQ = '(a1335dfd-5bcc-4e1b-aa45-f6726cb95816) ';
const EXECUTION_KEEP: Record<string, string> = {
  E4: "API Key **********************************gE96dR not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage i01t0vftre/staging: API Stage is not in a Usage Plan",
  E5: 'Method completed with status: 403',
  E6: "API Key ... not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage zsuvlqr7nb/prod: No Usage Plan found for key and API Stage",
  E7: "API Key not authorized because method 'GET /' requires API Key and API Key is not associated with a Usage Plan for API Stage <api_id>/<stage>: API Key was required but not present",
  E12: 'Starting authorizer: 62mgrc for request: fd443056-60d0-425f-874e-e93e5d61351e',
  E18: 'Authorizer result body before parsing: {"principalId": "user","policyDocument": {"Version": "2012-10-17","S',
  E19: '(cf101403-4a17-11e7-935f-35dfc4618b7d) Starting authorizer: elkw5b for request: cf101403-4a17-11e7-935f-35dfc4618b7d',
  E25: 'Authorizer result body before parsing: {"principalId":"","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["arn:aws:execute-api:us-east-1:989972760655:qyt4c7jmsd/null/*/*"]}]}}',
  E28: '(412e45a2-9321-4077-8b0b-f044a4364918) The client is not authorized to perform this operation.',
  E37: 'Access denied. Reason: Could not find issuer for certificate',
  E38: 'Access denied. Reason: Client cert using an insecure Signature Algorithm',
  E39: 'Access denied. Reason: self signed certificate',
  'E39 (zh edition, no space)': 'Access denied.Reason: self signed certificate',
  E41: 'Received response. Status: 403, Integration latency: 19 ms',
  E46: 'Method completed with status: 403',
};
const EXECUTION_DROP: Record<string, string> = {
  E1: 'Extended Request Id: UBuxiEZSIAMFQ1Q=',
  E2: 'Verifying Usage Plan for request: a1335dfd-5bcc-4e1b-aa45-f6726cb95816. API Key: **********************************ReKPrb API Stage: **********/test_stage',
  E8: 'Verifying Usage Plan for request: 3323ffe5-6ddf-45c8-896a-b45ec2284cc0. API Key: API Stage: <api_id>/<stage>',
  E9: "API Key authorized because method 'GET /' does not require API Key. Request will not contribute to throttle or quota limits",
  'E9 (2018, two spaces)':
    "API Key  authorized because method 'POST /jazztest/abc' does not require API Key. Request will not contribute to throttle or quota limits",
  E10: 'Usage Plan check succeeded for API Key and API Stage <api_id>/<stage>',
  E11: 'Usage Plan check failed due to an internal error',
  E13: 'Unauthorized request: fd443056-60d0-425f-874e-e93e5d61351e',
  E15: 'Successfully completed authorizer execution',
  E23: 'Using valid authorizer policy for principal: **********************************************bkwef5',
  E31: 'Execution failed due to configuration error: Could not parse policy',
  E36: 'Method completed with status: 500',
  E45: 'Successfully completed execution',
  E52: '(4f3e3b0f-39db-11e9-9c2e-5bd7c2de5998) Key throttle limit exceeded for RestApi uwe3g5jm54, Stage Prod, Resource k0w8mc, HttpMethod POST. Limit: 1.00 Burst: 1',
  E53: '(4f3e3b0f-39db-11e9-9c2e-5bd7c2de5998) Method completed with status: 429',
  E54: '(7b819c41-e0a0-433a-883e-bc461fd70fd6) API Key **********************************F0yrv6 exceeded quota limit for API Stage rohkz08x02/dev: Key quota exhausted for Usage Plan ID nnpegc. Q Limit: 500 Period: DAY',
  '§1.4b 200': '(706499f2-afe6-11e8-b7eb-8d53f824f304) Method completed with status: 200',
  '§1.4a latency': '(515f1e99-39db-11e9-9e96-01e5c04505b9) Received response. Integration latency: 40 ms',
};

// A1-A5: real access-log lines (the `aws logs tail` prefix removed; A2/A3 elisions dropped).
const A1 =
  '{"apiId":"4lltecsznk","dynamoDBErrorMessage":"-","dynamoDBItemId":"-","dynamoDBOperation":"-","dynamoDBTableName":"-","errorMessage":"Forbidden","extendedRequestId":"A463pHJGPHcEQGQ=","httpMethod":"GET","integrationLatency":"-","integrationStatus":"-","path":"/prod/PythonResource","protocol":"HTTP/1.1","requestId":"eed63f63-e960-4d89-ade7-39a0bf8f6740","requestTime":"22/Jul/2026:03:52:54 +0000","requestTimeEpoch":"1784692374821","resourcePath":"/PythonResource","responseLength":"23","sourceIp":"76.33.40.125","stage":"prod","status":"403","userAgent":"curl/8.10.1","wafLatency":"6","wafResponseCode":"WAF_BLOCK","wafStatus":"403","webAclArn":"arn:aws:wafv2:us-west-2:015195098145:regional/webacl/taaops-lambda-waf-cf-waf01/093db73c-178f-4525-9411-0fac714569ef"}';
const A2 =
  '{"apiId":"4lltecsznk","errorMessage":"-","extendedRequestId":"A463gG4avHcEDzg=","httpMethod":"GET","integrationLatency":"12","integrationStatus":"403","responseLength":"50","status":"403","wafResponseCode":"WAF_ALLOW","wafStatus":"200"}';
const A3 =
  '{"apiId":"d2zxhf2ieg","errorMessage":"Unauthorized","extendedRequestId":"AyD6KEwwPHcEKxg=","httpMethod":"GET","integrationLatency":"-","integrationStatus":"-","responseLength":"26","status":"401","wafResponseCode":"WAF_ALLOW","wafStatus":"200"}';
const A4 =
  '{"requestId":"9be82ea4-d723-11ed-a76f-263563b74b58","accountId":"123456789012","httpStatusCode":"200","apiId":"yb628s4k9t","domainName":"api.timewarptravels.com","extendedRequestId":"Fkb1_JtoKANExCk=","httpMethod":"GET","resourcePath":"/v1/booking-service","protocol":"HTTP/1.1","requestTimeEpoch":"1680997508004","stage":"main","responseLatency":"23","responseLength":"9","xrayTraceId":"-","webaclArn":"-","authorizer":{"principalId":"eca065fa-d723-11ed-96c7-263563b74b58","error":"-","latency":"0","requestId":"-","status":"200"},"authorize":{"error":"-","latency":"0","status":"200"},"error":{"errorMessage":"-","errorResponseType":"-"},"identity":{"sourceIp":"99.0.128.123","userAgent":"Mozilla/5.0 (apple-x86_64-darwin20.4.0) Siege/4.1.6"},"authenticate":{"error":"-","latency":"-","status":"-"},"integration":{"error":"-","integrationStatus":"200","latency":"48","requestId":"1c7e4602-d724-11ed-82dc-263563b74b58","status":"200"},"waf":{"error":"-","latency":"-","status":"-","responseCode":"-"}}';
const A5 =
  '{"caller":"-","ip":"51.14.4.225","method":"POST","path":"/development/data-product/test_product1/table/%c2%a3/schema","protocol":"HTTP/1.1","requestId":"a4188e34-1104-424e-9907-eebbf55dd662","requestTime":"27/Oct/2023:13:40:57 +0000","requestTimeEpoch":"1698414057744","resourcePath":"/data-product/{data-product-name}/table/{table-name}/schema","responseLength":"87","status":"400","user":"-"}';
const CLF_403 =
  '76.33.40.125 - - [22/Jul/2026:03:52:54 +0000] "GET /PythonResource HTTP/1.1" 403 23 eed63f63-e960-4d89-ade7-39a0bf8f6740 A463pHJGPHcEQGQ=';
const CLF_200 =
  '76.33.40.125 - - [22/Jul/2026:03:52:54 +0000] "GET /PythonResource HTTP/1.1" 200 87 eed63f63-e960-4d89-ade7-39a0bf8f6740 A463pHJGPHcEQGQ=';

/** A line as API Gateway would write the recommended format: `$context.x` replaced by a value or `-`. */
function renderRecommended(kind: 'rest' | 'http', values: Record<string, string>): string {
  return recommendedAccessLogFormat(kind).replace(
    /\$context\.([A-Za-z0-9_.]+[A-Za-z0-9_])/g,
    (_m, name: string) =>
      name === 'error.messageString' ? `"${values['error.message'] ?? '-'}"` : (values[name] ?? '-'),
  );
}

const executionPattern = executionLogFilterPattern();
const jsonPattern = accessLogFilterPattern();

describe('execution-log pattern', () => {
  it('is the documented OR of quoted phrases', () => {
    expect(executionPattern).toBe(
      '?"status: 403" ?"not authorized" ?"Access denied" ?"Authorizer result body" ?"Received response. Status: 403" ?"Starting authorizer"',
    );
    expect(executionPattern.length).toBeLessThanOrEqual(1024);
  });

  it.each(Object.entries(EXECUTION_KEEP))('keeps %s, a line that explains a 403', (_label, line) => {
    expect(matchesFilterPattern(executionPattern, line)).toBe(true);
    expect(matchesFilterPattern(executionPattern, `${REQ}${line}`)).toBe(true);
  });

  it.each(Object.entries(EXECUTION_DROP))('drops %s', (_label, line) => {
    expect(matchesFilterPattern(executionPattern, line)).toBe(false);
  });

  it('keeps, as a documented superset, the 403-looking lines of a request that ends 500 (E47, E49, E30)', () => {
    for (const line of [
      'Received response. Status: 403, Integration latency: 3 ms',
      'Lambda invocation failed with status: 403. Lambda request id: abc1d2ef-34ab-56c7-de8f-90123a456789',
      'Authorizer result body before parsing: null',
    ]) {
      expect(matchesFilterPattern(executionPattern, line)).toBe(true);
    }
  });

  it('needs every term: removing any one loses a line the classifier decides on', () => {
    const keep = Object.values(EXECUTION_KEEP);
    for (const term of EXECUTION_LOG_TERMS) {
      const without = EXECUTION_LOG_TERMS.filter((other) => other !== term)
        .map((other) => `?"${other}"`)
        .join(' ');
      expect(keep.filter((line) => !matchesFilterPattern(without, line)).length, term).toBeGreaterThan(0);
    }
  });
});

describe('access-log pattern (JSON)', () => {
  it('selects status 403 or a 403 response type', () => {
    expect(jsonPattern).toBe(
      `{ $.status = "403" || $.status = 403 || ${FORBIDDEN_RESPONSE_TYPES.map((t) => `$.error.responseType = "${t}"`).join(' || ')} }`,
    );
    expect(jsonPattern.length).toBeLessThanOrEqual(1024);
  });

  it.each([
    ['A1 WAF block 403', A1, true],
    ['A2 backend 403', A2, true],
    ['A3 Cognito 401', A3, false],
    ['A4 nested 200', A4, false],
    ['A5 400', A5, false],
    ['a CLF line', CLF_403, false],
  ])('%s -> %s', (_label, line, expected) => {
    expect(matchesFilterPattern(jsonPattern, line)).toBe(expected);
  });

  it('keeps a 403 whose status a customised gateway response remapped, by its response type', () => {
    for (const type of FORBIDDEN_RESPONSE_TYPES) {
      const line = JSON.stringify({ status: '400', error: { responseType: type, message: 'Forbidden' } });
      expect(matchesFilterPattern(jsonPattern, line), type).toBe(true);
    }
    for (const type of ['THROTTLED', 'QUOTA_EXCEEDED', 'UNAUTHORIZED', 'DEFAULT_4XX', '-']) {
      const line = JSON.stringify({ status: '429', error: { responseType: type } });
      expect(matchesFilterPattern(jsonPattern, line), type).toBe(false);
    }
  });

  it('follows the keys a user format writes (flat A1-style keys, no response type)', () => {
    const flat = accessLogFilterPattern({ statusKey: 'httpStatus', responseTypeKey: null });
    expect(flat).toBe('{ $.httpStatus = "403" || $.httpStatus = 403 }');
    expect(matchesFilterPattern(flat, '{"httpStatus":"403"}')).toBe(true);
    expect(matchesFilterPattern(flat, '{"status":"403"}')).toBe(false);
    const typed = accessLogFilterPattern({ responseTypeKey: 'errorResponseType' });
    expect(matchesFilterPattern(typed, '{"status":"302","errorResponseType":"WAF_FILTERED"}')).toBe(true);
  });

  it.each(['rest', 'http'] as const)('selects a 403 written in the recommended %s format', (kind) => {
    const line = renderRecommended(kind, {
      status: '403',
      'error.responseType': 'INVALID_API_KEY',
      'error.message': 'Forbidden',
    });
    expect(() => JSON.parse(line)).not.toThrow();
    expect(matchesFilterPattern(jsonPattern, line)).toBe(true);
  });

  it('selects a line rendered from the full recommended format', () => {
    const line = renderRecommended('rest', { status: '403', 'error.message': 'Forbidden' });
    expect(matchesFilterPattern(jsonPattern, line)).toBe(true);
  });
});

describe('access-log pattern (text)', () => {
  it('is the term 403 and keeps a CLF 403, drops a CLF 200', () => {
    const text = accessLogFilterPattern({ format: 'text' });
    expect(text).toBe('"403"');
    expect(matchesFilterPattern(text, CLF_403)).toBe(true);
    expect(matchesFilterPattern(text, CLF_200)).toBe(false);
  });
});

describe('access-log pattern: status logged as a number or a string', () => {
  it.each([
    ['"status":"$context.status" (a string)', '{"status":"403"}'],
    ['"status":$context.status (a number)', '{"status":403}'],
  ])('selects a 403 written as %s', (_label, line) => {
    expect(matchesFilterPattern(jsonPattern, line)).toBe(true);
    expect(matchesFilterPattern(jsonPattern, line.replace('403', '200'))).toBe(false);
  });

  it('reads the status key of a format that logs it unquoted', () => {
    const format = '{"requestId":"$context.requestId","http":{"code":$context.status}}';
    expect(jsonKeyPaths(format).get('status')).toBe('http.code');
    expect(patternOptionsFor(format)).toEqual({
      format: 'json',
      statusKey: 'http.code',
      responseTypeKey: null,
    });
  });
});

describe('access-log pattern: keys a selector cannot address', () => {
  it('never turns a flat dotted key into a nested selector that matches nothing', () => {
    const format = '{"status":"$context.status","error.responseType":"$context.error.responseType"}';
    expect(jsonKeyPaths(format).has('error.responseType')).toBe(false);
    const options = patternOptionsFor(format);
    expect(options).toEqual({ format: 'json', statusKey: 'status', responseTypeKey: null });
    expect(
      matchesFilterPattern(
        accessLogFilterPattern(options),
        '{"status":"403","error.responseType":"WAF_FILTERED"}',
      ),
    ).toBe(true);
  });

  it('falls back to the text pattern (a superset) when the status itself cannot be selected', () => {
    const format = '{"http.status":"$context.status","error":{"responseType":"$context.error.responseType"}}';
    const options = patternOptionsFor(format);
    expect(options).toEqual({ format: 'text' });
    expect(matchesFilterPattern(accessLogFilterPattern(options), '{"http.status":"403"}')).toBe(true);
  });
});

describe('access-log pattern: length', () => {
  it('fits the default and refuses, with a clear message, a pattern CloudWatch Logs would reject', () => {
    expect(jsonPattern.length).toBeLessThanOrEqual(MAX_FILTER_PATTERN_LENGTH);
    const longKey = Array.from({ length: 25 }, (_, i) => `segment${i}`).join('.');
    expect(() => accessLogFilterPattern({ responseTypeKey: longKey })).toThrow(FilterPatternTooLongError);
    expect(() => accessLogFilterPattern({ responseTypeKey: longKey })).toThrow(
      /would be \d+ characters, over the 1024 CloudWatch Logs accepts/,
    );
  });
});

describe('evaluator', () => {
  it('matches everything with an empty pattern, ANDs required terms, ORs ?terms, excludes -terms', () => {
    expect(matchesFilterPattern('', 'anything')).toBe(true);
    expect(matchesFilterPattern('"Method" "403"', 'Method completed with status: 403')).toBe(true);
    expect(matchesFilterPattern('"Method" "403"', 'Method completed with status: 200')).toBe(false);
    expect(matchesFilterPattern('?"a b" ?c', 'xx a b')).toBe(true);
    expect(matchesFilterPattern('?"a b" ?c', 'a  b')).toBe(false);
    expect(matchesFilterPattern('ERROR -DEBUG', 'ERROR at x')).toBe(true);
    expect(matchesFilterPattern('ERROR -DEBUG', 'ERROR DEBUG at x')).toBe(false);
  });

  it('is case-sensitive, like CloudWatch Logs', () => {
    expect(matchesFilterPattern('?"Access denied"', 'access denied. Reason: x')).toBe(false);
  });

  it.each([
    // Typed comparisons, as the syntax documents them: a string value for strings, a number for numbers.
    ['{ $.status = "403" }', '{"status":"403"}', true],
    ['{ $.status = "403" }', '{"status":403}', false],
    ['{ $.status = 403 }', '{"status":403}', true],
    ['{ $.status = 403 }', '{"status":"403"}', false],
    ['{ $.latency > 500 }', '{"latency":501}', true],
    ['{ $.latency >= 500 }', '{"latency":499.5}', false],
    ['{ $.eventType = UpdateTrail }', '{"eventType":"UpdateTrail"}', true],
    ['{ $.sourceIPAddress != 123.123.* }', '{"sourceIPAddress":"123.123.0.1"}', false],
    ['{ $.sourceIPAddress != 123.123.* }', '{"sourceIPAddress":"10.0.0.1"}', true],
    ['{ $.sourceIPAddress != 123.123.* }', '{}', false],
    ['{ $.error.responseType = "WAF_*" }', '{"error":{"responseType":"WAF_FILTERED"}}', true],
    ['{ $.users[0].id = 1 }', '{"users":[{"id":1}]}', true],
    ['{ $.users.id = 1 }', '{"users":[{"id":1}]}', false],
    ['{ $.a = "1" || $.b = "2" && $.c = "3" }', '{"a":"1"}', true],
    ['{ $.a = "1" || $.b = "2" && $.c = "3" }', '{"b":"2"}', false],
    ['{ ($.a = "1" || $.b = "2") && $.c = "3" }', '{"a":"1"}', false],
    ['{ ($.a = "1" || $.b = "2") && $.c = "3" }', '{"b":"2","c":"3"}', true],
    // Only objects are selected from; a nested object is not its scalar.
    ['{ $.status = "403" }', '["403"]', false],
    ['{ $.status = "403" }', 'not json 403', false],
    ['{ $.status = "403" }', '{"status":{"code":"403"}}', false],
  ])('%s on %s is %s', (pattern, message, expected) => {
    expect(matchesFilterPattern(pattern, message)).toBe(expected);
  });

  it.each([
    ['[ip, user, status = 403]', 'space-delimited'],
    ['%ERROR%', 'regular expressions'],
    ['{ $.a > "1" }', 'compares numbers'],
    ['{ $.a = "1"', 'unbalanced braces'],
    ['{ ($.a = "1" }', 'unbalanced parentheses'],
    ['{ status = "1" }', 'expected a $.selector'],
    ['{ $.a "1" }', 'expected a comparison'],
    ['{ $.a = }', 'expected a value'],
  ])('rejects %s', (pattern, why) => {
    expect(() => matchesFilterPattern(pattern, '{}')).toThrow(FilterPatternSyntaxError);
    expect(() => matchesFilterPattern(pattern, '{}')).toThrow(why);
  });

  it('builds selectors only from identifier key paths', () => {
    expect(jsonSelector('error.responseType')).toBe('$.error.responseType');
    expect(() => jsonSelector('error.response-type')).toThrow('Not a JSON key path');
  });
});

describe('a deployed pattern against the format a stage writes (doctor)', () => {
  it.each([
    ['the recommended REST format, default pattern', recommendedAccessLogFormat('rest'), jsonPattern, true],
    ['the recommended HTTP format, default pattern', recommendedAccessLogFormat('http'), jsonPattern, true],
    [
      'the recommended WebSocket format, default pattern',
      recommendedAccessLogFormat('websocket'),
      jsonPattern,
      true,
    ],
    ['a flat format (statusCode), default pattern', FLAT, jsonPattern, false],
    ['a flat format, its own pattern', FLAT, accessLogFilterPattern(patternOptionsFor(FLAT)), true],
    [
      'status unquoted (a number), default pattern',
      '{"requestId":"$context.requestId","status":$context.status}',
      jsonPattern,
      true,
    ],
    ['the console CLF format, default JSON pattern', DEFAULT_CLF, jsonPattern, false],
    ['the console CLF format, text pattern', DEFAULT_CLF, accessLogFilterPattern({ format: 'text' }), true],
    ['any format, an empty pattern (everything)', FLAT, '', true],
    ['a pattern this evaluator cannot read (a regex): no guess', FLAT, '%403%', undefined],
    [
      'a format without $context.status: no 403 to select',
      '{"requestId":"$context.requestId"}',
      jsonPattern,
      undefined,
    ],
  ])('%s', (_label, format, pattern, selects) => {
    expect(selectsForbiddenLines(pattern, format)).toBe(selects);
  });

  it('builds a JSON line from a JSON format, quoted or not, with only the status set', () => {
    const line = forbiddenLineOf(
      '{"s":$context.status,"m":$context.error.messageString,"r":"$context.requestId"}',
    );
    expect(JSON.parse(line ?? '')).toEqual({ s: 403, m: '-', r: '-' });
    expect(forbiddenLineOf('{"s":"$context.statusText"}')).toBeUndefined();
  });

  it('the pattern built from a format selects its 403s; the default one only when the status key is `status`', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((name) => name !== 'requestId');
    fc.assert(
      fc.property(key, fc.boolean(), (statusKey, quoted) => {
        const value = quoted ? '"$context.status"' : '$context.status';
        const format = `{"requestId":"$context.requestId","${statusKey}":${value}}`;
        expect(selectsForbiddenLines(accessLogFilterPattern(patternOptionsFor(format)), format)).toBe(true);
        expect(selectsForbiddenLines(jsonPattern, format)).toBe(statusKey === 'status');
      }),
    );
  });
});
