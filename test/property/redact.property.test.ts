import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskApiKeyId, redact } from '../../lambda/core/index.js';

const alnum = fc.stringMatching(/^[A-Za-z0-9]{20,40}$/);
const upper = fc.stringMatching(/^[A-Z0-9]{16}$/);
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const secret40 = fc.stringMatching(/^[A-Za-z0-9/+]{37}$/).map((body) => `${body}a1Z`);

/** A secret, and the text that carries it the way logs and headers do. */
const plantedSecret = fc.oneof(
  upper.map((rest) => ({ secret: `AKIA${rest}`, text: `access key AKIA${rest} used` })),
  upper.map((rest) => ({
    secret: `ASIA${rest}`,
    text: `Credential=ASIA${rest}/20260101/us-east-1/execute-api/aws4_request`,
  })),
  fc
    .tuple(b64url, b64url, b64url)
    .map(([a, b, c]) => ({ secret: `eyJ${a}.${b}.${c}`, text: `token eyJ${a}.${b}.${c} end` })),
  alnum.map((token) => ({ secret: token, text: `Authorization: Bearer ${token}` })),
  alnum.map((token) => ({ secret: token, text: `{"authorization":"${token}"}` })),
  alnum.map((key) => ({ secret: key, text: `x-api-key: ${key}` })),
  alnum.map((key) => ({ secret: key, text: `{"apiKey":"${key}","apiKeyId":"abc"}` })),
  alnum.map((token) => ({ secret: token, text: `X-Amz-Security-Token=${token}, other=1` })),
  hex64.map((signature) => ({
    secret: signature,
    text: `SignedHeaders=host;x-amz-date, Signature=${signature}`,
  })),
  secret40.map((secret) => ({ secret, text: `aws_secret_access_key=${secret}` })),
  secret40.map((secret) => ({ secret, text: `leaked ${secret} here` })),
  alnum.map((token) => ({
    secret: token,
    text: `${token} not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer ${token}'`,
  })),
);

const noise = fc.string({ maxLength: 40 }).map((text) => text.replace(/[A-Za-z0-9/+=_-]/g, ' '));

describe('redaction', () => {
  it('no planted secret survives, wherever it sits in a line', () => {
    fc.assert(
      fc.property(plantedSecret, noise, noise, ({ secret, text }, before, after) => {
        expect(redact(`${before} ${text} ${after}`)).not.toContain(secret);
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          plantedSecret.map(({ text }) => text),
        ),
        (text) => {
          const once = redact(text);
          expect(redact(once)).toBe(once);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps the words that tell a reader what was sent', () => {
    expect(redact('Authorization: Bearer abcdefghijklmnopqrstuvwxyz')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redact('Authorization=Bearer')).toBe('Authorization=Bearer');
    expect(redact('API Key **********************************gE96dR not authorized')).toBe(
      'API Key **********************************gE96dR not authorized',
    );
    expect(redact('Method completed with status: 403')).toBe('Method completed with status: 403');
    for (const message of [
      'The security token included in the request is invalid.',
      'The security token included in the request is expired',
      'Missing Authentication Token',
      'Token expired, basic auth required',
    ]) {
      expect(redact(message)).toBe(message);
    }
    expect(redact('a4188e34-1104-424e-9907-eebbf55dd662')).toBe('a4188e34-1104-424e-9907-eebbf55dd662');
  });

  it('masks API key ids to their last four characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 5 }), (id) => {
        const masked = maskApiKeyId(id);
        if (!id.startsWith('****')) expect(masked).toBe(`****${id.slice(-4)}`);
        expect(maskApiKeyId(masked)).toBe(masked);
      }),
    );
  });
});
