import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';

// 1e1cda7 refuses cooldownMinutes / minAlertCount, but the "is not a known key (known: ...)" message
// for any other unknown key still lists them as known keys: a user told to pick from that list picks
// a key that is then refused.
describe('unknown context key message', () => {
  it('does not advertise the removed cooldownMinutes / minAlertCount as known keys', () => {
    const result = parseConfig({
      apis: [{ restApiId: 'ed6e5ca5e1', stage: 'prod', accessLogGroup: '/aws/apigateway/ed6e5ca5e1/prod' }],
      alertEmails: ['ops@example.com'],
      cooldown: 15,
    });
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.errors.join('\n');
    expect(message).toMatch(/apigw403\.cooldown: is not a known key/);
    expect(message).not.toMatch(/known: [^)]*cooldownMinutes/);
    expect(message).not.toMatch(/known: [^)]*minAlertCount/);
  });
});
