import type { Category, LogsDocument } from '../../lambda/core/index.js';
import { accessLine, logsDocument } from './payload.js';

/**
 * The `--scenario accounts` traffic: two source accounts send their API Gateway access logs to the
 * central account's CloudWatch Logs destination, and a third account that is not listed tries to.
 * Every line is the recommended JSON access format; each delivery is one subscription document, as
 * CloudWatch Logs writes it to the destination's stream.
 */

export const SOURCE_ACCOUNT_A = '111111111111';
export const SOURCE_ACCOUNT_B = '222222222222';
/** Not a listed source account: its documents are dropped and counted, never alerted. */
export const UNLISTED_ACCOUNT = '333333333333';
export const LISTED_ACCOUNTS = [SOURCE_ACCOUNT_A, SOURCE_ACCOUNT_B] as const;

export const ACCOUNT_APIS = {
  [SOURCE_ACCOUNT_A]: { apiId: 'p4y5m6n7t8', stage: 'prod' },
  [SOURCE_ACCOUNT_B]: { apiId: 'c8a7t6l5g4', stage: 'live' },
  [UNLISTED_ACCOUNT]: { apiId: 'u1n2l3s4t5', stage: 'prod' },
} as const;

export interface AccountDelivery {
  readonly account: string;
  readonly document: LogsDocument;
}

export interface AccountsScenario {
  readonly deliveries: readonly AccountDelivery[];
  /** 403s sent per listed account and category: what the metric must count. */
  readonly sent: Readonly<Record<string, Partial<Record<Category, number>>>>;
  /** Documents of the unlisted account. */
  readonly unlistedDocuments: number;
}

type Fields = Record<string, unknown>;

const CAUSES: Readonly<Record<string, { category: Category; fields: Fields }>> = {
  waf: {
    category: 'WAF_FILTERED',
    fields: {
      error: { message: 'Forbidden', responseType: 'WAF_FILTERED' },
      waf: { responseCode: 'WAF_BLOCK', status: '403', error: '-' },
    },
  },
  apiKey: {
    category: 'INVALID_API_KEY',
    fields: { error: { message: 'Forbidden', responseType: 'INVALID_API_KEY' } },
  },
  expired: {
    category: 'SECURITY_TOKEN_EXPIRED',
    fields: {
      error: {
        message: 'The security token included in the request is expired',
        responseType: 'EXPIRED_TOKEN',
      },
    },
  },
  authorizerDeny: {
    category: 'AUTHORIZER_EXPLICIT_DENY',
    fields: {
      error: {
        message: 'User is not authorized to access this resource with an explicit deny',
        responseType: 'ACCESS_DENIED',
      },
    },
  },
};

/** Waves of traffic: [minute, account, log stream, cause, count]. */
const WAVES: readonly (readonly [number, string, string, keyof typeof CAUSES, number])[] = [
  [0, SOURCE_ACCOUNT_A, 'a-stream-1', 'waf', 14],
  [0, SOURCE_ACCOUNT_B, 'b-stream-1', 'expired', 6],
  [0, UNLISTED_ACCOUNT, 'u-stream-1', 'waf', 9],
  [1, SOURCE_ACCOUNT_A, 'a-stream-2', 'apiKey', 5],
  [1, SOURCE_ACCOUNT_B, 'b-stream-1', 'authorizerDeny', 4],
  [2, SOURCE_ACCOUNT_A, 'a-stream-1', 'waf', 8],
  [2, SOURCE_ACCOUNT_B, 'b-stream-2', 'expired', 3],
];

export function buildAccountsScenario(start: number): AccountsScenario {
  const sent: Record<string, Partial<Record<Category, number>>> = {};
  let seed = 0;
  let unlistedDocuments = 0;
  const deliveries = WAVES.map(([minute, account, stream, cause, count]) => {
    const { apiId, stage } = ACCOUNT_APIS[account as keyof typeof ACCOUNT_APIS];
    const { category, fields } = CAUSES[cause] ?? { category: 'UNCLASSIFIED', fields: {} };
    if (account === UNLISTED_ACCOUNT) unlistedDocuments += 1;
    else {
      const perAccount = sent[account] ?? {};
      perAccount[category] = (perAccount[category] ?? 0) + count;
      sent[account] = perAccount;
    }
    const events = Array.from({ length: count }, () => {
      seed += 1;
      const timestamp = start + minute * 60_000 + seed * 41;
      const requestId = `${account.slice(0, 8)}-${String(seed).padStart(4, '0')}-4000-8000-${String(timestamp).slice(-12)}`;
      const message = accessLine(
        { requestId, apiId, stage, timestamp },
        { identity: { sourceIp: `198.51.100.${seed % 250}`, userAgent: 'okhttp/4.12.0' }, ...fields },
      );
      return { timestamp, message };
    });
    const document: LogsDocument = {
      ...logsDocument(`/aws/apigateway/${apiId}/${stage}`, events, stream),
      owner: account,
      subscriptionFilters: ['apigw-403-monitor-source'],
    };
    return { account, document };
  });
  return { deliveries, sent, unlistedDocuments };
}
