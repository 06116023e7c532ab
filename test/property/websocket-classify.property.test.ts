/**
 * Any WebSocket access line (values drawn from the documented variables' values and every gateway
 * message the classifier knows) gets a row that exists for WebSocket APIs, and its printed checks are
 * WebSocket ones: never a REST-only row (nor WAF_FILTERED), never a `--rest-api-id` command, no
 * cause or check that names AWS WAF.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOT_WEBSOCKET } from '../../lambda/core/explain/client-rules.js';
import { FORBIDDEN_RESPONSE_TYPES } from '../../lambda/core/gateway-messages.js';
import {
  type Category,
  CLIENT_ONLY_CATEGORIES,
  classifyRequest,
  describeCategory,
  parseAccessLine,
} from '../../lambda/core/index.js';
import { MESSAGES } from '../fixtures/evidence.js';
import { WS_API, WS_MESSAGES, WS_STAGE, webSocketLine } from '../fixtures/websocket-lines.js';

/** Rows whose cause or checks exist only on REST (or HTTP) APIs: explain's list, and what logs add. */
const NOT_FOR_WEBSOCKET: ReadonlySet<Category> = new Set<Category>([
  ...NOT_WEBSOCKET,
  'ROUTE_NOT_FOUND',
  'STAGE_IN_CUSTOM_DOMAIN_PATH',
  'MTLS_CERTIFICATE_INVALID',
  // AWS WAF associates with REST API stages only (docs/403-taxonomy.md, WebSocket APIs).
  'WAF_FILTERED',
  ...CLIENT_ONLY_CATEGORIES,
]);

const unset = fc.constant('-');
const line = fc.record({
  eventType: fc.constantFrom('CONNECT', 'MESSAGE', 'DISCONNECT', '-'),
  routeKey: fc.constantFrom('$connect', '$disconnect', '$default', 'sendmessage', '-'),
  status: fc.constantFrom('403', '403', '200', '401', '429', '500'),
  'error.message': fc.oneof(
    fc.constantFrom(...Object.values(MESSAGES), ...Object.values(WS_MESSAGES)),
    unset,
    fc.string({ maxLength: 40 }).map((text) => text.replace(/["\\]/g, '')),
  ),
  'error.responseType': fc.constantFrom(
    ...FORBIDDEN_RESPONSE_TYPES,
    'AUTHORIZER_FAILURE',
    'DEFAULT_4XX',
    '-',
  ),
  'authorizer.status': fc.constantFrom('-', '200', '401', '403'),
  'authorizer.error': fc.constantFrom('-', 'Forbidden', 'Unauthorized'),
  'identity.userArn': fc.constantFrom('-', 'arn:aws:iam::123456789012:user/alice'),
  'identity.apiKeyId': fc.constantFrom('-', 'k1a2b3c4d5'),
  'integration.status': fc.constantFrom('-', '200', '403', '500'),
  'waf.status': fc.constantFrom('-', '403'),
  'waf.error': fc.constantFrom('-', 'WAF_BLOCK'),
});

describe('WebSocket lines, any mix of documented values', () => {
  it('get a WebSocket row or a shared one, with WebSocket checks', () => {
    fc.assert(
      fc.property(line, (values) => {
        const access = parseAccessLine(webSocketLine(values));
        expect(access).toBeDefined();
        const finding = access && classifyRequest({ access, context: { timestamp: 1 } });
        const inScope = values.status === '403' || FORBIDDEN_RESPONSE_TYPES.has(values['error.responseType']);
        expect(finding !== undefined).toBe(inScope);
        if (!finding) return;
        expect(finding.signals).toContain('websocket-api');
        for (const category of [finding.category, ...(finding.candidates ?? []).map((c) => c.category)]) {
          expect(NOT_FOR_WEBSOCKET.has(category), category).toBe(false);
          const { checks, causes } = describeCategory(category, {
            apiId: WS_API,
            stage: WS_STAGE,
            signals: finding.signals,
          });
          expect(checks.join('\n')).not.toContain('--rest-api-id');
          expect([...causes, ...checks].join('\n')).not.toMatch(/\bWAF\b|web ACL|wafv2/i);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
