import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCurlVerbose, parseHar } from '../../lambda/core/explain/index.js';

describe('explain: captures', () => {
  it('reads a curl -v capture (A1 response shape) into one observation', () => {
    const [observation, ...rest] = parseCurlVerbose(
      readFileSync('test/fixtures/explain/waf-block.curl.txt', 'utf8'),
    );
    expect(rest).toHaveLength(0);
    expect(observation).toEqual({
      url: 'https://4lltecsznk.execute-api.us-west-2.amazonaws.com/prod/PythonResource',
      method: 'GET',
      status: 403,
      requestHeaders: {
        Host: '4lltecsznk.execute-api.us-west-2.amazonaws.com',
        'User-Agent': 'curl/8.10.1',
        Accept: '*/*',
      },
      responseHeaders: expect.objectContaining({
        'x-amzn-RequestId': 'eed63f63-e960-4d89-ade7-39a0bf8f6740',
        'x-amzn-ErrorType': 'ForbiddenException',
        'x-amz-apigw-id': 'A463pHJGPHcEQGQ=',
      }),
      body: '{"message":"Forbidden"}',
      responseHeadersComplete: true,
    });
  });

  it('keeps each exchange of a capture with a redirect apart', () => {
    const text = [
      '> GET /prod HTTP/1.1',
      '> Host: api.timewarptravels.com',
      '>',
      '< HTTP/2 301',
      '< location: https://api.timewarptravels.com/prod/',
      '<',
      '> GET /prod/ HTTP/2',
      '> Host: api.timewarptravels.com',
      '>',
      '< HTTP/2 403',
      '< x-amzn-errortype: MissingAuthenticationTokenException',
      '<',
      '{ [42 bytes data]',
      '{"message":"Missing Authentication Token"}',
    ].join('\r\n');
    const observations = parseCurlVerbose(text);
    expect(
      observations.map((observation) => [observation.status, observation.url, observation.body]),
    ).toEqual([
      [301, 'https://api.timewarptravels.com/prod', undefined],
      [403, 'https://api.timewarptravels.com/prod/', '{"message":"Missing Authentication Token"}'],
    ]);
  });

  it('reads HAR entries, decoding base64 bodies, and rejects a file that is not HAR', () => {
    const entries = parseHar(readFileSync('test/fixtures/explain/browser.har', 'utf8'));
    expect(entries.map((entry) => [entry.method, entry.status])).toEqual([
      ['GET', 200],
      ['OPTIONS', 403],
      ['GET', 403],
    ]);
    expect(entries[2]?.body).toBe('{"message":"Forbidden"}');
    expect(() => parseHar('{"entries":[]}')).toThrow('not a HAR file');
  });
});
