/**
 * The access-log fields the classifier reads, recognised by the `$context` variable they hold rather
 * than by one spelling of their key. A key is normalised to a token (lower case; `.`, `_`, `-`, `$` and
 * a leading `context` removed; nested objects flattened with their parents' names) and looked up here.
 * An unknown key is ignored.
 */

export type AccessField =
  | 'requestId'
  | 'extendedRequestId'
  | 'status'
  | 'errorMessage'
  | 'errorMessageString'
  | 'errorResponseType'
  | 'wafResponseCode'
  | 'wafStatus'
  | 'wafError'
  | 'webAclArn'
  | 'authorizerError'
  | 'authorizerStatus'
  | 'authorizeError'
  | 'authorizeStatus'
  | 'authenticateError'
  | 'authenticateStatus'
  | 'integrationStatus'
  | 'integrationError'
  | 'resourcePath'
  | 'routeKey'
  | 'connectionId'
  | 'eventType'
  | 'messageId'
  | 'path'
  | 'httpMethod'
  | 'domainName'
  | 'basePathMatched'
  | 'stage'
  | 'apiId'
  | 'sourceIp'
  | 'userAgent'
  | 'apiKeyId'
  | 'apiKey'
  | 'userArn'
  | 'caller'
  | 'clientCertSubjectDN'
  | 'clientCertIssuerDN'
  | 'clientCertSerialNumber'
  | 'clientCertNotBefore'
  | 'clientCertNotAfter'
  | 'requestTimeEpoch'
  | 'requestTime'
  | 'deploymentId'
  | 'protocol';

export interface AccessFieldSpec {
  readonly field: AccessField;
  /** The `$context` variable, without the `$context.` prefix. */
  readonly variable: string;
  /** The key the recommended format uses (nested keys joined by `.`). */
  readonly recommendedKey: string;
  /** Other recognised spellings, as written by people (normalised at load time). */
  readonly aliases: readonly string[];
  readonly rest: boolean;
  readonly http: boolean;
  /** Needed to separate categories; its absence is named in UNCLASSIFIED findings. */
  readonly decisive: boolean;
}

const spec = (
  field: AccessField,
  variable: string,
  recommendedKey: string,
  aliases: readonly string[],
  support: { rest?: boolean; http?: boolean; decisive?: boolean } = {},
): AccessFieldSpec => ({
  field,
  variable,
  recommendedKey,
  aliases,
  rest: support.rest ?? true,
  http: support.http ?? true,
  decisive: support.decisive ?? false,
});

export const ACCESS_FIELDS: readonly AccessFieldSpec[] = [
  spec('requestId', 'requestId', 'requestId', ['id', 'request_id', 'request.id']),
  spec('extendedRequestId', 'extendedRequestId', 'extendedRequestId', ['extended_request_id']),
  spec('status', 'status', 'status', ['httpStatus', 'httpStatusCode', 'statusCode', 'responseStatus']),
  spec('errorMessage', 'error.message', 'error.message', ['errorMessage', 'error.errorMessage', 'errorMsg'], {
    decisive: true,
  }),
  spec('errorMessageString', 'error.messageString', 'error.messageString', ['errorMessageString']),
  spec(
    'errorResponseType',
    'error.responseType',
    'error.responseType',
    ['errorResponseType', 'error.errorResponseType', 'responseType', 'gatewayResponseType'],
    { decisive: true },
  ),
  spec('wafResponseCode', 'wafResponseCode', 'waf.responseCode', ['wafResponseCode'], {
    http: false,
    decisive: true,
  }),
  spec('wafStatus', 'waf.status', 'waf.status', ['wafStatus'], { http: false, decisive: true }),
  spec('wafError', 'waf.error', 'waf.error', ['wafError'], { http: false }),
  spec('webAclArn', 'webaclArn', 'webAclArn', ['webaclArn', 'waf.webAclArn'], { http: false }),
  spec('authorizerError', 'authorizer.error', 'authorizer.error', ['authorizerError']),
  spec('authorizerStatus', 'authorizer.status', 'authorizer.status', ['authorizerStatus']),
  spec('authorizeError', 'authorize.error', 'authorize.error', ['authorizeError'], { http: false }),
  spec('authorizeStatus', 'authorize.status', 'authorize.status', ['authorizeStatus'], { http: false }),
  spec('authenticateError', 'authenticate.error', 'authenticate.error', ['authenticateError'], {
    http: false,
  }),
  spec('authenticateStatus', 'authenticate.status', 'authenticate.status', ['authenticateStatus'], {
    http: false,
  }),
  // `$context.integration.status` and `$context.integrationStatus` normalise to the same token and both
  // report the backend's answer (for Lambda proxy the latter is Lambda's own status), so they are one
  // field; the parser keeps the non-2xx value when a format logs both.
  spec(
    'integrationStatus',
    'integration.status',
    'integration.status',
    ['integrationStatus', 'integration.integrationStatus', 'integration_status'],
    { decisive: true },
  ),
  spec('integrationError', 'integration.error', 'integration.error', [
    'integrationError',
    'integrationErrorMessage',
  ]),
  spec('resourcePath', 'resourcePath', 'resourcePath', ['resource', 'resource_path'], {
    http: false,
    decisive: true,
  }),
  spec('routeKey', 'routeKey', 'routeKey', ['route', 'route_key'], { rest: false }),
  // WebSocket APIs only (`access-log-format.ts` lists the variables they support).
  spec('connectionId', 'connectionId', 'connectionId', ['connection_id'], { rest: false, http: false }),
  spec('eventType', 'eventType', 'eventType', ['event_type'], { rest: false, http: false }),
  spec('messageId', 'messageId', 'messageId', ['message_id'], { rest: false, http: false }),
  spec('path', 'path', 'path', ['requestPath', 'uri']),
  spec('httpMethod', 'httpMethod', 'httpMethod', ['method', 'http_method', 'verb']),
  spec('domainName', 'domainName', 'domainName', ['domain', 'host', 'domain_name'], { decisive: true }),
  spec(
    'basePathMatched',
    'customDomain.basePathMatched',
    'customDomain.basePathMatched',
    ['basePathMatched'],
    {
      http: false,
    },
  ),
  spec('stage', 'stage', 'stage', ['stageName']),
  spec('apiId', 'apiId', 'apiId', ['restApiId', 'api_id']),
  spec('sourceIp', 'identity.sourceIp', 'identity.sourceIp', ['sourceIp', 'ip', 'clientIp', 'source_ip']),
  spec('userAgent', 'identity.userAgent', 'identity.userAgent', ['userAgent', 'user_agent', 'ua']),
  spec('apiKeyId', 'identity.apiKeyId', 'identity.apiKeyId', ['apiKeyId', 'api_key_id'], { http: false }),
  spec('apiKey', 'identity.apiKey', 'identity.apiKey', ['apiKey', 'api_key', 'xApiKey'], { http: false }),
  spec('userArn', 'identity.userArn', 'identity.userArn', ['userArn', 'user_arn']),
  spec('caller', 'identity.caller', 'identity.caller', ['caller']),
  spec(
    'clientCertSubjectDN',
    'identity.clientCert.subjectDN',
    'identity.clientCert.subjectDN',
    ['clientCertSubjectDN', 'clientCert.subjectDN', 'subjectDN'],
    { decisive: true },
  ),
  spec(
    'clientCertIssuerDN',
    'identity.clientCert.issuerDN',
    'identity.clientCert.issuerDN',
    ['clientCertIssuerDN', 'clientCert.issuerDN', 'issuerDN'],
    {},
  ),
  spec(
    'clientCertSerialNumber',
    'identity.clientCert.serialNumber',
    'identity.clientCert.serialNumber',
    ['clientCertSerialNumber', 'clientCert.serialNumber'],
    {},
  ),
  spec(
    'clientCertNotBefore',
    'identity.clientCert.validity.notBefore',
    'identity.clientCert.validity.notBefore',
    ['clientCertNotBefore', 'clientCert.validity.notBefore'],
    {},
  ),
  spec(
    'clientCertNotAfter',
    'identity.clientCert.validity.notAfter',
    'identity.clientCert.validity.notAfter',
    ['clientCertNotAfter', 'clientCert.validity.notAfter'],
    {},
  ),
  spec('requestTimeEpoch', 'requestTimeEpoch', 'requestTimeEpoch', ['requestTimeMs', 'epoch']),
  spec('requestTime', 'requestTime', 'requestTime', ['time', 'timestamp']),
  // The deployment that answered: lets an alert say "first seen after deployment X" (REST only).
  spec('deploymentId', 'deploymentId', 'deploymentId', ['deployment_id'], { http: false }),
  spec('protocol', 'protocol', 'protocol', []),
];

/** Normalises a key (flattened with `.`) to the token the lookup uses. */
export function normaliseKey(key: string): string {
  const token = key.toLowerCase().replace(/[._\-$\s]/g, '');
  return token.startsWith('context') ? token.slice('context'.length) : token;
}

const FIELD_BY_TOKEN: ReadonlyMap<string, AccessField> = (() => {
  const map = new Map<string, AccessField>();
  for (const entry of ACCESS_FIELDS) {
    for (const spelling of [entry.variable, entry.recommendedKey, ...entry.aliases]) {
      const token = normaliseKey(spelling);
      if (!map.has(token)) map.set(token, entry.field);
    }
  }
  return map;
})();

/**
 * Raw key → field (`null` for a key the classifier does not use). A stage logs the same few dozen keys
 * on every line, so normalising each key once saves most of the per-line work. Bounded: cleared when
 * full, so arbitrary keys cannot grow it without limit.
 */
const FIELD_BY_KEY = new Map<string, AccessField | null>();
const FIELD_BY_KEY_LIMIT = 4096;

/** The field a key holds, or `undefined` for a key the classifier does not use. */
export function fieldForKey(key: string): AccessField | undefined {
  const cached = FIELD_BY_KEY.get(key);
  if (cached !== undefined) return cached ?? undefined;
  const field = FIELD_BY_TOKEN.get(normaliseKey(key));
  if (FIELD_BY_KEY.size >= FIELD_BY_KEY_LIMIT) FIELD_BY_KEY.clear();
  FIELD_BY_KEY.set(key, field ?? null);
  return field;
}

/** The field a `$context.x.y` variable fills, or `undefined` when the classifier does not use it. */
export function fieldForVariable(variable: string): AccessField | undefined {
  const name = variable.replace(/^\$context\./, '');
  return ACCESS_FIELDS.find((entry) => entry.variable === name)?.field;
}

export const DECISIVE_FIELDS: readonly AccessField[] = ACCESS_FIELDS.filter((entry) => entry.decisive).map(
  (entry) => entry.field,
);

const VARIABLE_OF: ReadonlyMap<AccessField, string> = new Map(
  ACCESS_FIELDS.map((entry) => [entry.field, `$context.${entry.variable}`]),
);

export function variableOf(field: AccessField): string {
  return VARIABLE_OF.get(field) ?? `$context.${field}`;
}
