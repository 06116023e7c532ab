import type { Category } from '../categories.js';
import type { AuthorizationKind, UrlShape } from './observation.js';

/**
 * Facts the response alone cannot give. `--aws` settles them from the control plane; the user can
 * give `expectedStage`. `undefined` means unknown, never "no".
 */
export interface ClientFacts {
  readonly expectedStage?: string;
  readonly stageExists?: boolean;
  readonly defaultEndpointDisabled?: boolean;
  readonly privateApi?: boolean;
  /** Whether an API mapping of the custom domain matches the request's path. */
  readonly basePathMapped?: boolean;
  /** The API and stage the matching mapping routes to. */
  readonly mappedApiId?: string;
  readonly mappedStage?: string;
  /** The first path segment after the matched base path (what the mapped API sees first). */
  readonly segmentAfterBasePath?: string;
  readonly mtlsRequired?: boolean;
  readonly webAclAttached?: boolean;
}

/** Which kind of answer the caller got, from `x-amzn-errortype` or, failing that, the message. */
export type AnswerFamily =
  | 'forbidden'
  | 'missing-token'
  | 'access-denied'
  | 'signature'
  | 'incomplete-signature'
  | 'unrecognized-client'
  | 'backend'
  | 'unknown';

export interface RuleContext {
  readonly family: AnswerFamily;
  readonly shape: UrlShape;
  readonly authorization: AuthorizationKind;
  readonly apiKeySent: boolean;
  /** The API id a `Host` or `x-apigw-api-id` header names, for calls through a VPC endpoint. */
  readonly apiIdHeader?: string;
  /** Every response header is known (curl -v, HAR), so an absent `x-amzn-errortype` is real. */
  readonly errorTypeKnownAbsent: boolean;
  /** A WebSocket handshake (`wss://` URL, or `Upgrade: websocket`): authorized only on `$connect`. */
  readonly webSocket: boolean;
  readonly facts: ClientFacts;
}

/** A rule's verdict: points with the reason, `'decisive'`, or `'excluded'` (the fact rules it out). */
export type RuleVerdict = { readonly points: number; readonly why: string } | 'excluded' | undefined;

export interface ClientRule {
  readonly category: Category;
  readonly verdict: (context: RuleContext) => RuleVerdict;
}

/** The candidates each kind of answer leaves open, most likely first when nothing else ranks them. */
export const FAMILY_CANDIDATES: Readonly<Record<AnswerFamily, readonly Category[]>> = {
  forbidden: [
    'PRIVATE_API_DNS',
    'DEFAULT_ENDPOINT_DISABLED',
    'NO_BASE_PATH_MAPPING',
    'INVALID_API_KEY',
    'INVALID_STAGE',
    'MTLS_CERTIFICATE_INVALID',
    'WAF_FILTERED',
  ],
  'missing-token': [
    'ROUTE_NOT_FOUND',
    'STAGE_IN_CUSTOM_DOMAIN_PATH',
    'MISSING_AUTHENTICATION_TOKEN',
    'INVALID_STAGE',
    'NO_BASE_PATH_MAPPING',
  ],
  'access-denied': [
    'RESOURCE_POLICY_DENY',
    'AUTHORIZER_EXPLICIT_DENY',
    'AUTHORIZER_POLICY_MISMATCH',
    'IAM_NOT_AUTHORIZED',
    'IAM_EXPLICIT_DENY',
    'INVALID_SECURITY_TOKEN',
  ],
  signature: ['SIGNATURE_MISMATCH', 'SIGNATURE_EXPIRED'],
  'incomplete-signature': ['INCOMPLETE_SIGNATURE'],
  'unrecognized-client': ['INVALID_SECURITY_TOKEN', 'SECURITY_TOKEN_EXPIRED'],
  backend: ['INTEGRATION_403', 'UNCLASSIFIED'],
  unknown: ['UNCLASSIFIED', 'INTEGRATION_403'],
};

/** A refused WebSocket handshake: the `$connect` route's authorization, before the family's own rows. */
export const WEBSOCKET_CANDIDATES: readonly Category[] = [
  'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
  'WEBSOCKET_CONNECT_IAM_DENY',
];

/**
 * REST rows a WebSocket handshake cannot get: their checks run at `$connect`, as the rows above; and
 * AWS WAF associates with REST API stages only (docs/403-taxonomy.md).
 */
export const NOT_WEBSOCKET: ReadonlySet<Category> = new Set([
  'WAF_FILTERED',
  'AUTHORIZER_EXPLICIT_DENY',
  'AUTHORIZER_POLICY_MISMATCH',
  'IAM_EXPLICIT_DENY',
  'IAM_NOT_AUTHORIZED',
  'RESOURCE_POLICY_DENY',
  'MISSING_AUTHENTICATION_TOKEN',
  'CORS_PREFLIGHT_REJECTED',
]);

/** `x-amzn-errortype` values (the part before any `:`), from the evidence file §2.6 and the KC 403 table. */
export const ERROR_TYPE_FAMILIES: Readonly<Record<string, AnswerFamily>> = {
  ForbiddenException: 'forbidden',
  MissingAuthenticationTokenException: 'missing-token',
  AccessDeniedException: 'access-denied',
  InvalidSignatureException: 'signature',
  IncompleteSignatureException: 'incomplete-signature',
  UnrecognizedClientException: 'unrecognized-client',
};

/** Stage names seen often enough that a custom-domain path starting with one most likely repeats the stage. */
const COMMON_STAGE_NAMES =
  /^(prod|production|dev|develop|development|test|testing|staging|stage|beta|qa|uat|live|sandbox)$/i;

const points = (value: number, why: string): RuleVerdict => ({ points: value, why });
const DECISIVE_POINTS = 100;
const decisive = (why: string): RuleVerdict => points(DECISIVE_POINTS, why);

export function isDecisive(score: number): boolean {
  return score >= DECISIVE_POINTS;
}

const onExecuteApi = (context: RuleContext) =>
  context.shape.hostKind === 'execute-api' || context.shape.hostKind === 'vpc-endpoint';
const onCustomDomain = (context: RuleContext) => context.shape.hostKind === 'custom-domain';
const firstSegment = (context: RuleContext) => context.shape.segments[0];

/**
 * The client-side rule table: each row scores one category from the URL's shape, the request's
 * headers and the settled facts. Rows only rank categories the answer's family leaves open.
 */
export const CLIENT_RULES: readonly ClientRule[] = [
  {
    category: 'PRIVATE_API_DNS',
    verdict: (context) => {
      if (context.facts.privateApi === false || onCustomDomain(context)) return 'excluded';
      if (context.shape.hostKind === 'vpc-endpoint' && !context.apiIdHeader) {
        return points(
          10,
          'the URL is a VPC endpoint DNS name (vpce-…) and neither a Host header naming `{api-id}.execute-api.{region}.amazonaws.com` nor an x-apigw-api-id header says which private API to call',
        );
      }
      if (context.facts.privateApi && context.shape.hostKind === 'execute-api' && !context.shape.vpceId) {
        return points(
          6,
          'the API is private: its execute-api name answers only inside a VPC whose interface endpoint has private DNS enabled',
        );
      }
      return undefined;
    },
  },
  {
    category: 'DEFAULT_ENDPOINT_DISABLED',
    verdict: (context) => {
      if (context.shape.hostKind !== 'execute-api' || context.facts.defaultEndpointDisabled === false)
        return 'excluded';
      if (context.facts.defaultEndpointDisabled)
        return decisive(
          'the API has disableExecuteApiEndpoint set: its execute-api URL answers Forbidden to everyone',
        );
      return context.apiKeySent
        ? points(1, 'the default execute-api endpoint answers a bare Forbidden when it is disabled')
        : points(
            4,
            'the default execute-api endpoint answers a bare Forbidden when it is disabled, and no API key was sent to be refused',
          );
    },
  },
  {
    category: 'INVALID_STAGE',
    verdict: (context) => {
      if (onCustomDomain(context) || context.facts.stageExists === true) return 'excluded';
      const stage = firstSegment(context);
      if (context.facts.stageExists === false)
        return decisive(`the API has no stage named \`${stage ?? ''}\``);
      if (!onExecuteApi(context)) return undefined;
      if (stage === undefined)
        return points(
          6,
          'the URL has no stage: the first path segment of an execute-api URL must name a deployed stage',
        );
      const expected = context.facts.expectedStage;
      if (expected !== undefined) {
        return stage === expected
          ? 'excluded'
          : points(
              8,
              `the first path segment \`${stage}\` is not the stage \`${expected}\` (stage names are case-sensitive)`,
            );
      }
      return points(2, `the first path segment \`${stage}\` must name a deployed stage, spelled exactly`);
    },
  },
  {
    category: 'NO_BASE_PATH_MAPPING',
    verdict: (context) => {
      if (!onCustomDomain(context) || context.facts.basePathMapped === true) return 'excluded';
      if (context.facts.basePathMapped === false) {
        return decisive(
          `no API mapping of ${context.shape.host ?? 'the domain'} matches the path \`${context.shape.path || '/'}\``,
        );
      }
      return context.family === 'forbidden'
        ? points(5, 'a custom domain answers Forbidden when no API mapping matches the first path segment')
        : undefined;
    },
  },
  {
    category: 'MTLS_CERTIFICATE_INVALID',
    verdict: (context) => {
      if (!onCustomDomain(context) || context.facts.mtlsRequired === false) return 'excluded';
      return context.facts.mtlsRequired
        ? points(
            6,
            'the domain requires mutual TLS: a client certificate its truststore does not accept is answered Forbidden',
          )
        : points(
            1,
            'a custom domain with mutual TLS answers Forbidden to a certificate its truststore does not accept',
          );
    },
  },
  {
    category: 'INVALID_API_KEY',
    verdict: (context) =>
      context.apiKeySent
        ? points(
            6,
            'an x-api-key header was sent: Forbidden is the answer for a key that is unknown, disabled, not in a usage plan for this stage, or created minutes ago',
          )
        : points(2, 'no x-api-key header was sent: a method that requires an API key answers Forbidden'),
  },
  {
    category: 'WAF_FILTERED',
    verdict: (context) => {
      if (
        context.facts.webAclAttached === false ||
        (onCustomDomain(context) && context.facts.basePathMapped === false)
      ) {
        return 'excluded';
      }
      return context.facts.webAclAttached
        ? points(6, 'the stage has an AWS WAF web ACL, and a WAF block answers the same Forbidden')
        : points(1, 'an AWS WAF block answers the same Forbidden');
    },
  },
  {
    category: 'ROUTE_NOT_FOUND',
    verdict: (context) =>
      context.authorization === 'sigv4'
        ? points(
            6,
            'the request was signed, yet no resource matched: wrong path or method, or the API was not redeployed after the route was added',
          )
        : points(
            4,
            'no resource matched this method and path: a typo, the wrong method, or an API not redeployed after the route was added',
          ),
  },
  {
    category: 'MISSING_AUTHENTICATION_TOKEN',
    verdict: (context) =>
      context.authorization === 'none'
        ? points(
            3,
            'no Authorization header: an IAM-authorized method called without a SigV4 signature answers the same',
          )
        : 'excluded',
  },
  {
    category: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
    verdict: (context) => {
      if (!onCustomDomain(context)) return 'excluded';
      const segment = context.facts.segmentAfterBasePath ?? firstSegment(context);
      const stage = context.facts.mappedStage ?? context.facts.expectedStage;
      if (segment !== undefined && segment === stage) {
        return decisive(
          `the path starts with the stage \`${stage}\`, which the domain's API mapping already selects`,
        );
      }
      if (segment !== undefined && COMMON_STAGE_NAMES.test(segment)) {
        return points(
          6,
          `the path starts with \`${segment}\`, which looks like a stage name: behind a custom domain the mapping selects the stage, so the URL must not repeat it`,
        );
      }
      return undefined;
    },
  },
  {
    category: 'RESOURCE_POLICY_DENY',
    verdict: (context) =>
      context.authorization === 'none'
        ? points(
            3,
            'the caller did not sign the request, and a resource policy deny is what an anonymous caller gets',
          )
        : undefined,
  },
  {
    category: 'AUTHORIZER_EXPLICIT_DENY',
    verdict: (context) =>
      context.authorization === 'bearer' || context.authorization === 'other'
        ? points(2, 'a token-style Authorization header points at a Lambda authorizer that returned Deny')
        : undefined,
  },
  {
    category: 'AUTHORIZER_POLICY_MISMATCH',
    verdict: (context) =>
      context.authorization === 'bearer' || context.authorization === 'other'
        ? points(
            2,
            'a token-style Authorization header points at a Lambda authorizer whose (possibly cached) policy does not allow this method',
          )
        : undefined,
  },
  {
    category: 'IAM_NOT_AUTHORIZED',
    verdict: (context) =>
      context.authorization === 'sigv4'
        ? points(
            3,
            'the request was SigV4-signed: the signing identity may lack an Allow for execute-api:Invoke',
          )
        : undefined,
  },
  {
    category: 'IAM_EXPLICIT_DENY',
    verdict: (context) =>
      context.authorization === 'sigv4'
        ? points(
            2,
            'the request was SigV4-signed: an IAM or resource policy may deny this identity explicitly',
          )
        : undefined,
  },
  {
    category: 'INVALID_SECURITY_TOKEN',
    verdict: (context) => {
      if (context.family === 'unrecognized-client')
        return points(5, 'UnrecognizedClientException: the access key or session token is not valid');
      return context.authorization === 'sigv4'
        ? points(1, 'a signed request whose access key or session token is not valid')
        : undefined;
    },
  },
  {
    category: 'SIGNATURE_MISMATCH',
    verdict: () =>
      points(
        2,
        'InvalidSignatureException: most often a wrong secret key or a request changed after signing',
      ),
  },
  {
    category: 'SIGNATURE_EXPIRED',
    verdict: () =>
      points(
        1,
        'InvalidSignatureException is also the answer for a signature older than 15 minutes (clock skew)',
      ),
  },
  {
    category: 'INCOMPLETE_SIGNATURE',
    verdict: (context) =>
      decisive(
        context.authorization === 'bearer'
          ? 'IncompleteSignatureException for an `Authorization: Bearer` header: a non-SigV4 token sent to a path that does not exist or to an IAM-authorized route'
          : 'IncompleteSignatureException: an Authorization header that is not a SigV4 signature',
      ),
  },
  {
    category: 'INTEGRATION_403',
    verdict: (context) => {
      if (context.family === 'backend') {
        return context.errorTypeKnownAbsent
          ? points(
              6,
              'no x-amzn-errortype header and a message API Gateway never writes: the backend answered 403 and API Gateway passed it on',
            )
          : points(3, 'the message is not one API Gateway writes: the backend may have answered 403');
      }
      return context.errorTypeKnownAbsent
        ? points(2, "no x-amzn-errortype header: API Gateway may only have passed on the backend's 403")
        : undefined;
    },
  },
  {
    category: 'UNCLASSIFIED',
    verdict: (context) =>
      context.family === 'unknown'
        ? points(3, 'neither an x-amzn-errortype header nor a message to go on')
        : undefined,
  },
  {
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    verdict: (context) => {
      if (!context.webSocket) return 'excluded';
      return context.authorization === 'sigv4'
        ? points(1, 'a signed WebSocket handshake points at IAM rather than a Lambda authorizer')
        : points(
            5,
            "a WebSocket handshake answered 403: the $connect route's Lambda authorizer (its token in the query string or a header) did not allow it",
          );
    },
  },
  {
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    verdict: (context) => {
      if (!context.webSocket) return 'excluded';
      return context.authorization === 'sigv4'
        ? points(
            6,
            'the WebSocket handshake was SigV4-signed: IAM found no Allow for execute-api:Invoke on its $connect ARN',
          )
        : points(2, 'an unsigned handshake to a $connect route that uses IAM authorization is refused');
    },
  },
];
