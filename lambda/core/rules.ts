import type { Category } from './categories.js';
import { fillCommand, type ShellValue } from './shell.js';

/**
 * The rule table: one row per category of `docs/403-taxonomy.md`, in its order. Causes are
 * listed most likely first; a cause whose `when` signals the request shows moves up. Checks are
 * templates: `{apiId}`, `{stage}`, `{region}`, `{regionArg}`, `{apiKeyId}`, `{domainName}`.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low';

export interface LikelyCause {
  readonly text: string;
  /** Signals that make this cause more likely for a given request (see `Finding.signals`). */
  readonly when?: readonly string[];
}

export interface CategoryRule {
  readonly category: Category;
  readonly title: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly causes: readonly LikelyCause[];
  readonly checks: readonly string[];
  /**
   * The checks for a WebSocket API's group (signal `websocket-api`) where the cause is the same but the
   * commands differ (`apigatewayv2`, `--api-id`); `checks` otherwise.
   */
  readonly webSocketChecks?: readonly string[];
  readonly docUrl: string;
  /** Where the category can be seen: a log subscription cannot see the client-only rows. */
  readonly visibleIn: 'logs' | 'client';
}

const KC = 'https://repost.aws/knowledge-center';
const GUIDE = 'https://docs.aws.amazon.com/apigateway/latest/developerguide';
const STAGE_ARN = 'arn:aws:apigateway:{region}::/restapis/{apiId}/stages/{stage}';
/** A WebSocket route's ARN ends with its route key; authorization runs only on `$connect`. */
const CONNECT_ARN = 'arn:aws:execute-api:{region}:<account>:{apiId}/{stage}/$connect';
// Single-quoted for the shell: `$connect` must reach JMESPath, which takes it as a JSON literal.
const CONNECT_ROUTE =
  'aws apigatewayv2 get-routes --api-id {apiId}{regionArg} --query \'Items[?RouteKey==`"$connect"`]\'';
const WEBSOCKET_STAGE = 'aws apigatewayv2 get-stage --api-id {apiId} --stage-name {stage}{regionArg}';

export const RULES: Readonly<Record<Category, CategoryRule>> = {
  AUTHORIZER_EXPLICIT_DENY: {
    category: 'AUTHORIZER_EXPLICIT_DENY',
    title: 'Lambda authorizer returned an explicit Deny',
    severity: 'medium',
    summary: 'The authorizer ran and its policy says Deny for this caller and method.',
    causes: [
      {
        text: 'The authorizer denied this token or principal on purpose (revoked, wrong tenant, missing claim).',
      },
      {
        text: 'The authorizer code builds Deny for a case that should be allowed (a bug in its decision logic).',
        when: ['authorizer-deny'],
      },
      {
        text: 'A cached Deny is served for other requests of the same identity (authorizer result caching).',
      },
      {
        text: 'On an HTTP API: the authorizer answered isAuthorized false, or a JWT lacks a required scope.',
        when: ['http-api'],
      },
    ],
    checks: [
      'aws apigateway get-authorizers --rest-api-id {apiId}{regionArg}  (note the authorizer id and its result TTL)',
      "CloudWatch Logs of the authorizer function: what it returned for the sample request ids' tokens",
      'Execution logs API-Gateway-Execution-Logs_{apiId}/{stage}: the "Authorizer result body before parsing" line',
    ],
    docUrl: `${KC}/api-gateway-403-error-lambda-authorizer`,
    visibleIn: 'logs',
  },
  AUTHORIZER_POLICY_MISMATCH: {
    category: 'AUTHORIZER_POLICY_MISMATCH',
    title: 'Authorizer policy has no Allow for this method',
    severity: 'high',
    summary: 'The authorizer returned a policy, but no statement allows this method ARN.',
    causes: [
      {
        text: 'A cached policy built for another method or path is reused (authorizer caching with a narrow Resource).',
        when: ['authorizer-not-run'],
      },
      {
        text: 'The policy Resource ARN is wrong: stage, method or path does not match {apiId}/{stage}/<METHOD>/<path>.',
        when: ['authorizer-ran', 'authorizer-allow'],
      },
      { text: 'The policy covers only some routes; a new route was added without updating the authorizer.' },
    ],
    checks: [
      'aws apigateway get-authorizers --rest-api-id {apiId}{regionArg}  (authorizerResultTtlInSeconds > 0 means cached policies)',
      'Compare the policy Resource with arn:aws:execute-api:{region}:<account>:{apiId}/{stage}/<METHOD>/<path>',
      'Set the TTL to 0 or return a wildcard Resource such as arn:aws:execute-api:{region}:<account>:{apiId}/{stage}/*, then retest',
    ],
    docUrl: `${KC}/api-gateway-403-error-lambda-authorizer`,
    visibleIn: 'logs',
  },
  IAM_EXPLICIT_DENY: {
    category: 'IAM_EXPLICIT_DENY',
    title: 'IAM or resource policy explicitly denies the signed caller',
    severity: 'high',
    summary: 'The caller signed the request; a Deny statement in an IAM or resource policy matches it.',
    causes: [
      { text: "A Deny in the API's resource policy matches this principal, source IP or VPC endpoint." },
      {
        text: "A Deny in the caller's identity policy, a permissions boundary or an SCP covers execute-api:Invoke.",
      },
    ],
    checks: [
      'aws apigateway get-rest-api --rest-api-id {apiId}{regionArg} --query policy --output text  (the resource policy)',
      'aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names execute-api:Invoke --resource-arns arn:aws:execute-api:{region}:<account>:{apiId}/{stage}/*',
    ],
    docUrl: `${GUIDE}/apigateway-resource-policies.html`,
    visibleIn: 'logs',
  },
  IAM_NOT_AUTHORIZED: {
    category: 'IAM_NOT_AUTHORIZED',
    title: 'Signed caller has no IAM Allow for execute-api:Invoke',
    severity: 'high',
    summary: 'The request is signed, but no policy allows this principal to invoke this method.',
    causes: [
      {
        text: "The caller's role lacks execute-api:Invoke on this API, stage or method (misconfigured IAM role).",
      },
      { text: 'The Allow names another stage, method or API id than the one called.' },
      {
        text: 'A resource policy exists and does not allow this principal (cross-account callers need both sides).',
      },
    ],
    checks: [
      'aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names execute-api:Invoke --resource-arns arn:aws:execute-api:{region}:<account>:{apiId}/{stage}/*',
      'aws apigateway get-rest-api --rest-api-id {apiId}{regionArg} --query policy --output text',
    ],
    docUrl: `${GUIDE}/permissions.html`,
    visibleIn: 'logs',
  },
  RESOURCE_POLICY_DENY: {
    category: 'RESOURCE_POLICY_DENY',
    title: 'Resource policy denies or does not allow the caller',
    severity: 'high',
    summary: "The API's resource policy rejected the request before any integration ran.",
    causes: [
      {
        text: 'An IP, VPC or VPC-endpoint condition in the resource policy excludes this caller.',
        when: ['reason-explicit'],
      },
      {
        text: 'The policy has no Allow for anonymous callers on this method (only signed or VPC callers are allowed).',
        when: ['reason-not-allowed', 'anonymous-caller'],
      },
      { text: 'The resource policy was changed but the API was not redeployed to {stage}.' },
      {
        text: 'A cached Lambda-authorizer policy without an Allow writes the same execution-log line.',
        when: ['authorizer-not-run'],
      },
    ],
    checks: [
      'aws apigateway get-rest-api --rest-api-id {apiId}{regionArg} --query policy --output text',
      'aws apigateway get-deployments --rest-api-id {apiId}{regionArg}  (was the policy change deployed to {stage}?)',
      'Compare the top source IPs below with the policy aws:SourceIp / aws:SourceVpce conditions',
    ],
    docUrl: `${GUIDE}/apigateway-resource-policies.html`,
    visibleIn: 'logs',
  },
  INVALID_SECURITY_TOKEN: {
    category: 'INVALID_SECURITY_TOKEN',
    title: 'Security token in the request is invalid',
    severity: 'medium',
    summary: 'The access key or session token the caller signed with is not valid.',
    causes: [
      { text: 'The access key id is wrong, deleted or from another partition.' },
      {
        text: 'Temporary credentials were sent without their X-Amz-Security-Token, or with the token of another session.',
      },
    ],
    checks: [
      'On the caller: aws sts get-caller-identity with the same credentials',
      'Check that the client sends X-Amz-Security-Token with temporary (ASIA...) credentials',
    ],
    docUrl: `${KC}/api-gateway-troubleshoot-403-forbidden`,
    visibleIn: 'logs',
  },
  SECURITY_TOKEN_EXPIRED: {
    category: 'SECURITY_TOKEN_EXPIRED',
    title: 'Security token in the request has expired',
    severity: 'medium',
    summary: "The caller's temporary credentials expired before the request was signed.",
    causes: [
      { text: 'The client caches STS or role credentials past their expiry and does not refresh them.' },
      { text: "The caller's clock is far ahead, so fresh credentials look expired." },
    ],
    checks: [
      'Check the credential provider refresh in the client SDK',
      'On the caller: aws sts get-caller-identity',
    ],
    docUrl: `${GUIDE}/supported-gateway-response-types.html`,
    visibleIn: 'logs',
  },
  SIGNATURE_EXPIRED: {
    category: 'SIGNATURE_EXPIRED',
    title: 'Request signature expired (clock skew or replay)',
    severity: 'medium',
    summary: 'The signed request reached API Gateway more than 5 minutes after (or before) its X-Amz-Date.',
    causes: [
      { text: "The caller's clock is skewed (no NTP on the host or container)." },
      { text: 'A signed request was queued, retried or replayed long after it was signed.' },
    ],
    checks: [
      'On the caller: compare `date -u` with an NTP source',
      'Sign each retry anew instead of resending the signed request',
    ],
    docUrl: `${KC}/api-gateway-troubleshoot-403-forbidden`,
    visibleIn: 'logs',
  },
  SIGNATURE_MISMATCH: {
    category: 'SIGNATURE_MISMATCH',
    title: 'Request signature does not match',
    severity: 'high',
    summary: 'API Gateway computed a different SigV4 signature than the one the caller sent.',
    causes: [
      { text: 'The secret access key does not belong to the access key id used.' },
      {
        text: 'The canonical request differs: path encoding, query order, a header changed by a proxy after signing.',
      },
      { text: 'The request was signed for another service or region than execute-api in {region}.' },
    ],
    checks: [
      "Compare the caller's canonical request and string-to-sign with the ones in the error response",
      'Sign with service name execute-api and region {region}',
    ],
    docUrl: `${KC}/api-gateway-iam-sigv4-mismatch`,
    visibleIn: 'logs',
  },
  INCOMPLETE_SIGNATURE: {
    category: 'INCOMPLETE_SIGNATURE',
    title: 'Authorization header is not a SigV4 signature',
    severity: 'medium',
    summary:
      'A non-SigV4 Authorization header (for example a Bearer token) reached a route that expects IAM, or no route at all.',
    causes: [
      {
        text: 'The path or method does not exist, and the request carried an Authorization header (often Bearer).',
        when: ['bearer-token'],
      },
      { text: 'The method uses IAM authorization but the client sends a Bearer or Basic token.' },
      { text: 'The API was not redeployed to {stage} after the route was added.' },
    ],
    checks: [
      'aws apigateway get-resources --rest-api-id {apiId}{regionArg}  (does the path and method exist?)',
      'aws apigateway get-stage --rest-api-id {apiId} --stage-name {stage}{regionArg}  (deployment id and date)',
    ],
    webSocketChecks: [
      `${CONNECT_ROUTE}  (AuthorizationType AWS_IAM expects a SigV4 signature, not a token)`,
      `${WEBSOCKET_STAGE}  (DeploymentId, LastUpdatedDate)`,
    ],
    docUrl: `${KC}/api-gateway-troubleshoot-403-forbidden`,
    visibleIn: 'logs',
  },
  INVALID_API_KEY: {
    category: 'INVALID_API_KEY',
    title: 'API key missing, invalid or not in a usage plan for this stage',
    severity: 'high',
    summary: 'The method requires an API key and the key sent (if any) is not usable on this stage.',
    causes: [
      { text: 'The x-api-key header is missing or empty.', when: ['reason-missing'] },
      {
        text: 'The stage {stage} is not in any usage plan, so no key works on it.',
        when: ['reason-stage-not-in-usage-plan'],
      },
      {
        text: 'The key is not in a usage plan that includes {apiId}/{stage} (or was added minutes ago: new keys take up to ~15 minutes to reach every host).',
        when: ['reason-key-not-in-usage-plan'],
      },
      { text: 'The key value is wrong, disabled or deleted.', when: ['reason-unknown'] },
      {
        text: 'On a WebSocket API: a browser cannot add an x-api-key header to the handshake, so a key selected by $request.header.x-api-key never arrives.',
        when: ['websocket-api'],
      },
    ],
    checks: [
      "aws apigateway get-usage-plans{regionArg} --query \"items[?apiStages[?apiId=='{apiId}' && stage=='{stage}']]\"",
      'aws apigateway get-usage-plans --key-id {apiKeyId}{regionArg}',
      'aws apigateway get-api-key --api-key {apiKeyId}{regionArg}  (enabled? created when?)',
    ],
    docUrl: `${GUIDE}/api-gateway-api-usage-plans.html`,
    visibleIn: 'logs',
  },
  WAF_FILTERED: {
    category: 'WAF_FILTERED',
    title: 'Blocked by AWS WAF',
    severity: 'medium',
    summary: "A rule of the stage's web ACL blocked the request before API Gateway processed it.",
    causes: [
      { text: 'A managed or rate-based rule matched unwanted traffic (working as intended).' },
      { text: 'A rule matches legitimate traffic (false positive after a rule-set update or a new client).' },
    ],
    checks: [
      `aws wafv2 get-web-acl-for-resource --resource-arn ${STAGE_ARN}{regionArg}`,
      'aws wafv2 get-sampled-requests --web-acl-arn <web-acl-arn> --rule-metric-name <rule> --scope REGIONAL --time-window StartTime=<t0>,EndTime=<t1> --max-items 100{regionArg}',
    ],
    docUrl: `${GUIDE}/apigateway-control-access-aws-waf.html`,
    visibleIn: 'logs',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    category: 'MISSING_AUTHENTICATION_TOKEN',
    title: 'IAM-authorized method called without a signature',
    severity: 'high',
    summary: 'The request matched a resource whose method uses IAM authorization, but it was not signed.',
    causes: [
      { text: 'The client calls an AWS_IAM method without SigV4 signing.' },
      { text: 'The method was switched to AWS_IAM authorization and existing clients were not updated.' },
    ],
    checks: [
      'aws apigateway get-method --rest-api-id {apiId} --resource-id <resource-id> --http-method <METHOD>{regionArg}  (authorizationType)',
      'Sign the request (SigV4, service execute-api, region {region})',
    ],
    docUrl: `${KC}/api-gateway-authentication-token-errors`,
    visibleIn: 'logs',
  },
  ROUTE_NOT_FOUND: {
    category: 'ROUTE_NOT_FOUND',
    title: 'No route for this path and method',
    severity: 'medium',
    summary: 'API Gateway answers "Missing Authentication Token" when no resource and method match.',
    causes: [
      { text: 'The path or the HTTP method is wrong (typo, missing trailing segment, GET instead of POST).' },
      { text: 'The route was added but the API was not redeployed to {stage}.' },
      { text: 'Scanners probing paths that never existed.' },
    ],
    checks: [
      'aws apigateway get-resources --rest-api-id {apiId}{regionArg}',
      'aws apigateway get-stage --rest-api-id {apiId} --stage-name {stage}{regionArg}  (deploymentId, lastUpdatedDate)',
      'aws apigateway create-deployment --rest-api-id {apiId} --stage-name {stage}{regionArg}  (only if the route exists but is undeployed)',
    ],
    docUrl: `${KC}/api-gateway-authentication-token-errors`,
    visibleIn: 'logs',
  },
  STAGE_IN_CUSTOM_DOMAIN_PATH: {
    category: 'STAGE_IN_CUSTOM_DOMAIN_PATH',
    title: 'Custom-domain URL still includes the stage',
    severity: 'high',
    summary: 'The API mapping already selects the stage; repeating it in the path matches no resource.',
    causes: [
      {
        text: 'Clients moved from the execute-api URL to the custom domain {domainName} and kept the /{stage} prefix.',
        when: ['first-segment-is-stage'],
      },
    ],
    checks: [
      'aws apigateway get-base-path-mappings --domain-name {domainName}{regionArg}',
      'Call https://{domainName}/<path> without the /{stage} prefix',
    ],
    docUrl: `${GUIDE}/rest-api-mappings.html`,
    visibleIn: 'logs',
  },
  CORS_PREFLIGHT_REJECTED: {
    category: 'CORS_PREFLIGHT_REJECTED',
    title: 'CORS preflight (OPTIONS) rejected',
    severity: 'high',
    summary: 'The browser sent a preflight OPTIONS request and got 403, so it reports a CORS failure.',
    causes: [
      {
        text: 'The resource has no OPTIONS method (CORS not enabled on it, or not redeployed).',
        when: ['preflight-ROUTE_NOT_FOUND', 'preflight-MISSING_AUTHENTICATION_TOKEN'],
      },
      {
        text: 'The OPTIONS method requires an authorizer or IAM; browsers never send credentials on preflight.',
        when: ['preflight-AUTHORIZER_EXPLICIT_DENY', 'preflight-AUTHORIZER_POLICY_MISMATCH'],
      },
      {
        text: 'The OPTIONS method requires an API key; preflight requests carry none.',
        when: ['preflight-INVALID_API_KEY'],
      },
      {
        text: 'A WAF rule or resource policy blocks OPTIONS requests.',
        when: ['preflight-WAF_FILTERED', 'preflight-RESOURCE_POLICY_DENY'],
      },
    ],
    checks: [
      'aws apigateway get-resources --rest-api-id {apiId}{regionArg} --query "items[].{path:path,methods:keys(resourceMethods)}"',
      'Make OPTIONS authorizationType NONE and apiKeyRequired false, then redeploy to {stage}',
    ],
    docUrl: `${GUIDE}/how-to-cors.html`,
    visibleIn: 'logs',
  },
  MTLS_CERTIFICATE_INVALID: {
    category: 'MTLS_CERTIFICATE_INVALID',
    title: 'Client certificate rejected (mutual TLS)',
    severity: 'high',
    summary: "The custom domain requires mutual TLS and the client's certificate did not validate.",
    causes: [
      { text: "The certificate's issuer is not in the domain's truststore.", when: ['unknown-issuer'] },
      { text: 'The client sends a self-signed certificate.', when: ['self-signed-certificate'] },
      {
        text: 'The certificate uses an insecure signature algorithm (e.g. SHA-1).',
        when: ['insecure-signature-algorithm'],
      },
      { text: 'The certificate expired, or the truststore was updated without a new truststore version.' },
    ],
    checks: [
      'aws apigateway get-domain-name --domain-name {domainName}{regionArg}  (mutualTlsAuthentication.truststoreUri and warnings)',
      'openssl verify -CAfile truststore.pem client.pem',
    ],
    docUrl: `${KC}/api-gateway-mutual-tls-403-errors`,
    visibleIn: 'logs',
  },
  INTEGRATION_403: {
    category: 'INTEGRATION_403',
    title: 'The backend answered 403 (not API Gateway)',
    severity: 'medium',
    summary: "API Gateway passed on the integration's own 403; the gateway let the request through.",
    causes: [
      { text: "The backend's own authorization refused the caller (application rule, group or role check)." },
      {
        text: 'A private integration or HTTP backend (another API, a firewall in front of it, an S3 bucket policy) refused the gateway.',
      },
    ],
    checks: [
      "The backend's logs for the sample request ids (the gateway forwards x-amzn-RequestId)",
      'aws apigateway get-integration --rest-api-id {apiId} --resource-id <resource-id> --http-method <METHOD>{regionArg}',
    ],
    webSocketChecks: [
      "The route integration's logs for the sample request ids: a non-2xx answer of the $connect integration rejects the handshake",
      'aws apigatewayv2 get-integrations --api-id {apiId}{regionArg}',
    ],
    docUrl: `${GUIDE}/set-up-logging.html`,
    visibleIn: 'logs',
  },
  UNCLASSIFIED: {
    category: 'UNCLASSIFIED',
    title: '403 whose cause the logged fields cannot decide',
    severity: 'medium',
    summary: 'The access-log format lacks the fields that tell 403 causes apart.',
    causes: [
      {
        text: 'The access-log format is a console default (CLF, CSV, XML, JSON): none logs the error fields.',
        when: ['clf-format', 'csv-format', 'xml-format'],
      },
      { text: 'A customised gateway response or an unknown message hides the cause.' },
    ],
    checks: [
      'npx apigw403 doctor --api {apiId} --stage {stage}{regionArg}  (prints the access-log format to set)',
      'aws apigateway get-stage --rest-api-id {apiId} --stage-name {stage}{regionArg} --query accessLogSettings',
    ],
    webSocketChecks: [
      `${WEBSOCKET_STAGE} --query AccessLogSettings`,
      "Log the error, authorizer, identity and event fields: recommendedAccessLogFormat('websocket') of apigw-403-monitor",
    ],
    docUrl: `${GUIDE}/set-up-logging.html`,
    visibleIn: 'logs',
  },
  PRIVATE_API_DNS: {
    category: 'PRIVATE_API_DNS',
    title: 'Private API called through the wrong DNS name',
    severity: 'high',
    summary:
      'A private API was reached without the Host or x-apigw-api-id header, or through a mismatched VPC endpoint DNS setting.',
    causes: [
      { text: 'The endpoint-specific public DNS name was used without a Host or x-apigw-api-id header.' },
      {
        text: 'Private DNS is enabled on the interface endpoint while calling a Regional API (or disabled while calling a private one).',
      },
    ],
    checks: [
      'aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.{region}.execute-api',
      'Send x-apigw-api-id: {apiId} (or Host: {apiId}.execute-api.{region}.amazonaws.com) with the VPC endpoint URL',
    ],
    docUrl: `${GUIDE}/apigateway-private-api-test-invoke-url.html`,
    visibleIn: 'client',
  },
  DEFAULT_ENDPOINT_DISABLED: {
    category: 'DEFAULT_ENDPOINT_DISABLED',
    title: 'Default execute-api endpoint is disabled',
    severity: 'medium',
    summary: 'The API only answers on its custom domain; the execute-api URL returns 403.',
    causes: [
      {
        text: 'Clients still call https://{apiId}.execute-api.{region}.amazonaws.com after the default endpoint was disabled.',
      },
    ],
    checks: [
      'aws apigateway get-rest-api --rest-api-id {apiId}{regionArg} --query disableExecuteApiEndpoint',
      'Call the custom domain instead',
    ],
    docUrl: `${GUIDE}/rest-api-disable-default-endpoint.html`,
    visibleIn: 'client',
  },
  NO_BASE_PATH_MAPPING: {
    category: 'NO_BASE_PATH_MAPPING',
    title: 'Custom domain has no API mapping for this path',
    severity: 'high',
    summary: 'The custom domain exists but no base path mapping matches the request path.',
    causes: [
      { text: 'No API mapping was created for {domainName}, or it was deleted.' },
      { text: 'The mapping uses a base path and the request omits it.' },
    ],
    checks: ['aws apigateway get-base-path-mappings --domain-name {domainName}{regionArg}'],
    docUrl: `${GUIDE}/rest-api-mappings.html`,
    visibleIn: 'client',
  },
  INVALID_STAGE: {
    category: 'INVALID_STAGE',
    title: 'Stage in the request URL does not exist',
    severity: 'medium',
    summary: 'The first path segment of an execute-api URL must be a deployed stage name.',
    causes: [{ text: 'A typo or a deleted stage in the URL (stage names are case sensitive).' }],
    checks: ['aws apigateway get-stages --rest-api-id {apiId}{regionArg} --query "item[].stageName"'],
    docUrl: `${GUIDE}/how-to-call-api.html`,
    visibleIn: 'client',
  },
  WEBSOCKET_CONNECT_AUTHORIZER_DENY: {
    category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
    title: 'WebSocket $connect refused by its Lambda authorizer',
    severity: 'high',
    summary:
      'The Lambda REQUEST authorizer of the $connect route did not allow the connection, so the handshake was answered 403.',
    causes: [
      {
        text: 'The authorizer denied this connection on purpose (a missing, expired or revoked token in the query string or headers).',
        when: ['explicit-deny'],
      },
      {
        text: 'The returned policy has no Allow for the $connect ARN: a REST-style Resource such as {apiId}/{stage}/*/* or {apiId}/{stage}/GET/* does not match {apiId}/{stage}/$connect.',
        when: ['no-matching-allow'],
      },
      {
        text: 'The authorizer code builds Deny for a case that should be allowed (a bug in its decision logic).',
      },
      {
        text: 'A cached Deny is served for other connections with the same identity sources (AuthorizerResultTtlInSeconds > 0).',
      },
    ],
    checks: [
      `${CONNECT_ROUTE}  (AuthorizationType CUSTOM and its AuthorizerId)`,
      'aws apigatewayv2 get-authorizers --api-id {apiId}{regionArg}  (the REQUEST authorizer: IdentitySource, AuthorizerResultTtlInSeconds)',
      `CloudWatch Logs of the authorizer function: its policy must allow execute-api:Invoke on ${CONNECT_ARN}`,
      `${WEBSOCKET_STAGE}  (DeploymentId, LastUpdatedDate: was the route change deployed to {stage}?)`,
    ],
    docUrl: `${GUIDE}/apigateway-websocket-api-lambda-auth.html`,
    visibleIn: 'logs',
  },
  WEBSOCKET_CONNECT_IAM_DENY: {
    category: 'WEBSOCKET_CONNECT_IAM_DENY',
    title: 'WebSocket $connect refused by IAM authorization',
    severity: 'high',
    summary:
      'The $connect route uses IAM authorization and the caller has no Allow for execute-api:Invoke on its $connect ARN.',
    causes: [
      {
        text: "The caller's policy does not allow execute-api:Invoke on {apiId}/{stage}/$connect (there is no execute-api:Connect action: the route key is the ARN's last segment).",
        when: ['no-matching-allow'],
      },
      {
        text: "A Deny in the caller's identity policy, a permissions boundary or an SCP covers the $connect ARN.",
        when: ['explicit-deny'],
      },
      {
        text: 'The handshake was not signed: a browser WebSocket cannot add an Authorization header, so it must use a presigned (query-string) wss:// URL.',
        when: ['unsigned-caller', 'anonymous-caller'],
      },
      {
        text: 'The Allow grants execute-api:ManageConnections, which covers the @connections API (the backend posting to clients), not connecting.',
      },
    ],
    checks: [
      `${CONNECT_ROUTE}  (AuthorizationType AWS_IAM)`,
      `aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names execute-api:Invoke --resource-arns '${CONNECT_ARN}'`,
      'Sign the upgrade request with SigV4 for service execute-api in {region} (query-string signing from browsers)',
      `${WEBSOCKET_STAGE}  (DeploymentId, LastUpdatedDate: was the route change deployed to {stage}?)`,
    ],
    docUrl: `${GUIDE}/apigateway-websocket-control-access-iam.html`,
    visibleIn: 'logs',
  },
};

/** The request's or group's names; an absent one prints as a placeholder (`<api-id>`, `<stage>`). */
export interface DescribeContext {
  readonly apiId?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly signals?: readonly string[];
  readonly reason?: string;
  readonly apiKeyId?: string;
  readonly domainName?: string;
}

/** A rule row filled in for one request or group: causes ranked and reduced to their text. */
export type CategoryDescription = Omit<CategoryRule, 'causes' | 'visibleIn' | 'webSocketChecks'> & {
  readonly causes: readonly string[];
};

/** The signal of a finding from a WebSocket API's access log (see `classify.ts`). */
export const WEBSOCKET_SIGNAL = 'websocket-api';

/** Every API key stops working on a stage that is in no usage plan. */
const CRITICAL_REASONS: ReadonlySet<string> = new Set(['stage-not-in-usage-plan']);

/** A check that is a command to paste (the others are prose). */
const SHELL_COMMAND = /^(?:aws|npx) /;

/** What each template name stands for: the context's value, else a placeholder for the reader. */
function templateValues(context: DescribeContext): Readonly<Record<string, ShellValue>> {
  const given = (value: string | undefined, placeholder: string): ShellValue =>
    value === undefined ? { placeholder } : { literal: value };
  return {
    apiId: given(context.apiId, '<api-id>'),
    stage: given(context.stage, '<stage>'),
    region: given(context.region || undefined, '<region>'),
    apiKeyId: given(context.apiKeyId?.startsWith('*') ? undefined : context.apiKeyId, '<api-key-id>'),
    domainName: given(context.domainName, '<custom-domain>'),
  };
}

/** The rule row filled in for one request or group: causes ranked by its signals, checks runnable. */
export function describeCategory(category: Category, context: DescribeContext): CategoryDescription {
  const rule = RULES[category];
  const signals = new Set([
    ...(context.signals ?? []),
    ...(context.reason ? [`reason-${context.reason}`] : []),
  ]);
  const values = templateValues(context);
  // `{regionArg}` is a whole option, present only with a region: spelled out before the values go in.
  const withRegion = (template: string): string =>
    template.replaceAll('{regionArg}', context.region ? ' --region {region}' : '');
  const fill = (template: string): string =>
    withRegion(template).replaceAll(/\{(\w+)\}/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      return 'placeholder' in value ? value.placeholder : value.literal;
    });
  const check = (template: string): string =>
    SHELL_COMMAND.test(template) ? fillCommand(withRegion(template), values) : fill(template);
  const ranked = rule.causes
    .map((cause, index) => ({
      cause,
      index,
      score: (cause.when ?? []).filter((signal) => signals.has(signal)).length,
    }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
  return {
    category,
    title: rule.title,
    severity: context.reason && CRITICAL_REASONS.has(context.reason) ? 'critical' : rule.severity,
    summary: fill(rule.summary),
    causes: ranked.map(({ cause }) => fill(cause.text)),
    checks: (signals.has(WEBSOCKET_SIGNAL) ? (rule.webSocketChecks ?? rule.checks) : rule.checks).map(check),
    docUrl: rule.docUrl,
  };
}
