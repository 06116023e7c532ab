import type { HttpPeer } from './http-peer.js';
import { PeerError, type PeerRequest, type PeerResponse, startJsonServer } from './json-http.js';

/** The calls the CLI makes and the stage updates `apigw403 doctor` prints, by SDK operation name. */
export type ApiGatewayOperation =
  | 'GetRestApi'
  | 'GetStage'
  | 'UpdateStage'
  | 'UpdateStageV2'
  | 'GetDomainName'
  | 'GetBasePathMappings'
  | 'GetApi'
  | 'GetStageV2'
  | 'GetApiMappings'
  | 'GetRoutes'
  | 'GetAuthorizersV2'
  | 'GetIntegrationsV2'
  | 'GetRestApis'
  | 'GetStages'
  | 'GetApis'
  | 'GetStagesV2';

export interface RecordedApiGatewayRequest {
  readonly operation: ApiGatewayOperation;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
}

/** Wire shapes (REST: `apigateway` restJson, v1 keys; HTTP: `apigatewayv2`, camelCase keys). */
export type RestApiBody = Record<string, unknown> & { id: string };
export type StageBody = Record<string, unknown> & { stageName: string };
export type DomainNameBody = Record<string, unknown> & { domainName: string };
export interface BasePathMappingBody {
  basePath: string;
  restApiId: string;
  stage: string;
}
export type HttpApiBody = Record<string, unknown> & { apiId: string };
/** An `apigatewayv2` route, authorizer or integration (camelCase wire keys), for the WebSocket checks. */
export type RouteBody = Record<string, unknown> & { routeId: string; routeKey: string };
export type AuthorizerBody = Record<string, unknown> & { authorizerId: string };
export type IntegrationBody = Record<string, unknown> & { integrationId: string };
export interface ApiMappingBody {
  apiId: string;
  apiMappingId: string;
  apiMappingKey: string;
  stage: string;
}

interface Route {
  readonly operation: ApiGatewayOperation;
  readonly method?: 'GET' | 'PATCH';
  readonly pattern: RegExp;
  readonly answer: (
    params: string[],
    query: Record<string, string>,
    body: Record<string, unknown>,
  ) => unknown;
}

const V2_CHILD_OPERATION = {
  routes: 'GetRoutes',
  authorizers: 'GetAuthorizersV2',
  integrations: 'GetIntegrationsV2',
} as const satisfies Record<string, ApiGatewayOperation>;

const ERROR_STATUS: Record<string, number> = { TooManyRequestsException: 429, NotFoundException: 404 };
const ACCOUNT = '123456789012';

/**
 * An API Gateway control-plane peer on 127.0.0.1 for the read calls the CLI makes, REST
 * (`AWS_ENDPOINT_URL_API_GATEWAY`) and HTTP APIs (`AWS_ENDPOINT_URL_APIGATEWAYV2`) on one port.
 * Unknown ids answer `NotFoundException` with the service's own wording.
 */
export class ApiGatewayServer {
  readonly requests: RecordedApiGatewayRequest[] = [];
  private readonly restApis = new Map<string, RestApiBody>();
  private readonly stages = new Map<string, StageBody>();
  private readonly domains = new Map<string, DomainNameBody>();
  private readonly mappings = new Map<string, BasePathMappingBody[]>();
  private readonly httpApis = new Map<string, HttpApiBody>();
  private readonly httpStages = new Map<string, StageBody>();
  private readonly apiMappings = new Map<string, ApiMappingBody[]>();
  private readonly v2Children = new Map<string, unknown[]>();
  private readonly failures: { operation: ApiGatewayOperation; errorType: string }[] = [];
  private readonly routes: readonly Route[] = [
    {
      operation: 'UpdateStageV2',
      method: 'PATCH',
      pattern: /^\/v2\/apis\/([^/]+)\/stages\/([^/]+)$/,
      answer: ([api, stage], _query, body) => this.updateHttpStage(api, stage, body),
    },
    {
      operation: 'UpdateStage',
      method: 'PATCH',
      pattern: /^\/restapis\/([^/]+)\/stages\/([^/]+)$/,
      answer: ([api, stage], _query, body) => this.updateRestStage(api, stage, body),
    },
    {
      operation: 'GetStageV2',
      pattern: /^\/v2\/apis\/([^/]+)\/stages\/([^/]+)$/,
      answer: ([api, stage]) => this.httpStage(api, stage),
    },
    { operation: 'GetApi', pattern: /^\/v2\/apis\/([^/]+)$/, answer: ([api]) => this.httpApi(api) },
    {
      operation: 'GetApis',
      pattern: /^\/v2\/apis$/,
      answer: (_params, query) =>
        this.page([...this.httpApis.values()], query, 'maxResults', 'nextToken', 'items'),
    },
    {
      operation: 'GetStagesV2',
      pattern: /^\/v2\/apis\/([^/]+)\/stages$/,
      answer: ([api], query) =>
        this.page(
          this.stagesOf(this.httpStages, this.httpApi(api).apiId),
          query,
          'maxResults',
          'nextToken',
          'items',
        ),
    },
    {
      operation: 'GetRestApis',
      pattern: /^\/restapis$/,
      answer: (_params, query) => this.page([...this.restApis.values()], query, 'limit', 'position', 'item'),
    },
    {
      // The REST API answers every stage at once: no paging parameters.
      operation: 'GetStages',
      pattern: /^\/restapis\/([^/]+)\/stages$/,
      answer: ([api]) => ({ item: this.stagesOf(this.stages, this.restApi(api).id) }),
    },
    {
      operation: 'GetApiMappings',
      pattern: /^\/v2\/domainnames\/([^/]+)\/apimappings$/,
      answer: ([domain], query) =>
        this.page(this.apiMappingsOf(domain), query, 'maxResults', 'nextToken', 'items'),
    },
    ...(['routes', 'authorizers', 'integrations'] as const).map(
      (kind): Route => ({
        operation: V2_CHILD_OPERATION[kind],
        pattern: new RegExp(`^/v2/apis/([^/]+)/${kind}$`),
        answer: ([api], query) => {
          this.httpApi(api);
          return this.page(
            this.v2Children.get(`${api}/${kind}`) ?? [],
            query,
            'maxResults',
            'nextToken',
            'items',
          );
        },
      }),
    ),
    {
      operation: 'GetStage',
      pattern: /^\/restapis\/([^/]+)\/stages\/([^/]+)$/,
      answer: ([api, stage]) => this.restStage(api, stage),
    },
    { operation: 'GetRestApi', pattern: /^\/restapis\/([^/]+)$/, answer: ([api]) => this.restApi(api) },
    {
      operation: 'GetBasePathMappings',
      pattern: /^\/domainnames\/([^/]+)\/basepathmappings$/,
      answer: ([domain], query) => this.page(this.mappingsOf(domain), query, 'limit', 'position', 'item'),
    },
    {
      operation: 'GetDomainName',
      pattern: /^\/domainnames\/([^/]+)$/,
      answer: ([domain]) => this.domainName(domain),
    },
  ];

  private constructor(
    private readonly peer: HttpPeer,
    private readonly pageSize: number,
  ) {}

  static async start(options: { pageSize?: number } = {}): Promise<ApiGatewayServer> {
    let instance: ApiGatewayServer | undefined;
    const peer = await startJsonServer((request) => {
      if (!instance) throw new PeerError('ServiceUnavailableException', 'starting', 503);
      return instance.handle(request);
    }, 'application/json');
    instance = new ApiGatewayServer(peer, options.pageSize ?? 25);
    return instance;
  }

  addRestApi(api: RestApiBody): void {
    this.restApis.set(api.id, { name: api.id, endpointConfiguration: { types: ['REGIONAL'] }, ...api });
  }

  addStage(apiId: string, stage: StageBody): void {
    this.stages.set(`${apiId}/${stage.stageName}`, stage);
  }

  addHttpApi(api: HttpApiBody): void {
    this.httpApis.set(api.apiId, { name: api.apiId, protocolType: 'HTTP', ...api });
  }

  addHttpStage(apiId: string, stage: StageBody): void {
    this.httpStages.set(`${apiId}/${stage.stageName}`, stage);
  }

  /** A WebSocket API (`protocolType` WEBSOCKET) with its routes, authorizers and integrations. */
  addWebSocketApi(
    api: HttpApiBody,
    children: {
      routes?: readonly RouteBody[];
      authorizers?: readonly AuthorizerBody[];
      integrations?: readonly IntegrationBody[];
    } = {},
  ): void {
    this.httpApis.set(api.apiId, {
      name: api.apiId,
      protocolType: 'WEBSOCKET',
      routeSelectionExpression: '$request.body.action',
      ...api,
    });
    this.v2Children.set(`${api.apiId}/routes`, [...(children.routes ?? [])]);
    this.v2Children.set(`${api.apiId}/authorizers`, [...(children.authorizers ?? [])]);
    this.v2Children.set(`${api.apiId}/integrations`, [...(children.integrations ?? [])]);
  }

  /** Removes a REST (`rest`) or HTTP/WebSocket (`v2`) stage, as `delete-stage` does. */
  deleteStage(kind: 'rest' | 'v2', apiId: string, stageName: string): void {
    (kind === 'rest' ? this.stages : this.httpStages).delete(`${apiId}/${stageName}`);
  }

  addDomainName(domain: DomainNameBody, mappings: readonly BasePathMappingBody[] = []): void {
    this.domains.set(domain.domainName, domain);
    this.mappings.set(domain.domainName, [...mappings]);
    this.apiMappings.set(
      domain.domainName,
      mappings.map((mapping, index) => ({
        apiId: mapping.restApiId,
        apiMappingId: `map${index}`,
        apiMappingKey: mapping.basePath === '(none)' ? '' : mapping.basePath,
        stage: mapping.stage,
      })),
    );
  }

  /** The next `count` calls to `operation` fail with `errorType` (`TooManyRequestsException` is HTTP 429). */
  failNext(operation: ApiGatewayOperation, count: number, errorType = 'TooManyRequestsException'): void {
    for (let i = 0; i < count; i += 1) this.failures.push({ operation, errorType });
  }

  requestsFor(operation: ApiGatewayOperation): RecordedApiGatewayRequest[] {
    return this.requests.filter((request) => request.operation === operation);
  }

  get endpoint(): string {
    return this.peer.endpoint;
  }

  close(): Promise<void> {
    return this.peer.close();
  }

  private handle(request: PeerRequest): PeerResponse {
    if (request.method !== 'GET' && request.method !== 'PATCH')
      throw new PeerError('BadRequestException', `this peer does not answer ${request.method}`);
    const path = request.url.pathname;
    for (const route of this.routes) {
      if ((route.method ?? 'GET') !== request.method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const query = Object.fromEntries(request.url.searchParams);
      this.requests.push({ operation: route.operation, method: request.method, path, query });
      const failureIndex = this.failures.findIndex((failure) => failure.operation === route.operation);
      if (failureIndex >= 0) {
        const [failure] = this.failures.splice(failureIndex, 1);
        const type = failure?.errorType ?? 'TooManyRequestsException';
        throw new PeerError(
          type,
          type === 'TooManyRequestsException' ? 'Too Many Requests' : type,
          ERROR_STATUS[type] ?? 400,
        );
      }
      const body = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
      return { body: route.answer(match.slice(1).map(decodeURIComponent), query, body) };
    }
    throw new PeerError('NotFoundException', `Unknown path ${path}`, 404);
  }

  private restApi(id = ''): RestApiBody {
    return found(this.restApis.get(id), `Invalid API identifier specified ${ACCOUNT}:${id}`);
  }

  private restStage(api = '', stage = ''): StageBody {
    this.restApi(api);
    return found(this.stages.get(`${api}/${stage}`), 'Invalid stage identifier specified');
  }

  private httpApi(id = ''): HttpApiBody {
    return found(this.httpApis.get(id), `Invalid API identifier specified ${ACCOUNT}:${id}`);
  }

  private httpStage(api = '', stage = ''): StageBody {
    this.httpApi(api);
    return found(this.httpStages.get(`${api}/${stage}`), `Invalid stage identifier specified`);
  }

  /**
   * `update-stage --patch-operations`: the access-log and `*\/*` method-setting paths, checked as the
   * service checks them (a destination that is a log group ARN with a valid name, a format that logs
   * the request id).
   */
  private updateRestStage(api = '', stage = '', body: Record<string, unknown>): StageBody {
    const current = this.restStage(api, stage);
    const operations = Array.isArray(body.patchOperations) ? body.patchOperations : [];
    const next: StageBody = structuredClone(current);
    for (const operation of operations as { op?: string; path?: string; value?: string }[]) {
      applyStagePatch(next, operation);
    }
    this.stages.set(`${api}/${stage}`, next);
    return next;
  }

  private updateHttpStage(api = '', stage = '', body: Record<string, unknown>): StageBody {
    const current = this.httpStage(api, stage);
    const settings = body.accessLogSettings as { destinationArn?: string; format?: string } | undefined;
    const next: StageBody = structuredClone(current);
    if (settings) {
      checkAccessLogSettings(settings.destinationArn, settings.format);
      next.accessLogSettings = { destinationArn: settings.destinationArn, format: settings.format };
    }
    this.httpStages.set(`${api}/${stage}`, next);
    return next;
  }

  private stagesOf(stages: ReadonlyMap<string, StageBody>, apiId: string): StageBody[] {
    return [...stages].filter(([key]) => key.startsWith(`${apiId}/`)).map(([, stage]) => stage);
  }

  private domainName(name = ''): DomainNameBody {
    return found(this.domains.get(name), 'Invalid domain name identifier specified');
  }

  private mappingsOf(domain = ''): BasePathMappingBody[] {
    this.domainName(domain);
    return this.mappings.get(domain) ?? [];
  }

  private apiMappingsOf(domain = ''): ApiMappingBody[] {
    this.domainName(domain);
    return this.apiMappings.get(domain) ?? [];
  }

  private page(
    items: readonly unknown[],
    query: Record<string, string>,
    limitKey: string,
    tokenKey: string,
    listKey: string,
  ) {
    const offset = query[tokenKey] ? Number(query[tokenKey]) : 0;
    const size = Math.min(Number(query[limitKey] ?? this.pageSize), this.pageSize);
    const next = offset + size;
    return {
      [listKey]: items.slice(offset, next),
      ...(next < items.length ? { [tokenKey]: String(next) } : {}),
    };
  }
}

const LOG_GROUP_ARN = /^arn:aws[\w-]*:logs:[a-z0-9-]+:\d{12}:log-group:([^:]+)$/;
const LOG_GROUP_NAME = /^[\w\-./#]{1,512}$/;

function checkAccessLogSettings(destinationArn: string | undefined, format: string | undefined): void {
  const name = destinationArn === undefined ? undefined : LOG_GROUP_ARN.exec(destinationArn)?.[1];
  if (destinationArn !== undefined && (name === undefined || !LOG_GROUP_NAME.test(name))) {
    throw new PeerError(
      'BadRequestException',
      `Invalid ARN specified in the request. ARN: ${destinationArn}`,
    );
  }
  if (format !== undefined && !/\$context\.(?:extendedR|r)equestId/.test(format)) {
    throw new PeerError(
      'BadRequestException',
      'Access Log format must contain at least one of $context.requestId or $context.extendedRequestId',
    );
  }
}

function applyStagePatch(stage: StageBody, operation: { op?: string; path?: string; value?: string }): void {
  const { op, path = '', value } = operation;
  if (op !== 'replace' && op !== 'add') {
    throw new PeerError(
      'BadRequestException',
      `Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'move'|'copy'|'test'`,
    );
  }
  const accessLog = /^\/accessLogSettings\/(destinationArn|format)$/.exec(path);
  if (accessLog) {
    const settings = { ...((stage.accessLogSettings as Record<string, string> | undefined) ?? {}) };
    settings[accessLog[1] as string] = value ?? '';
    checkAccessLogSettings(settings.destinationArn, settings.format);
    stage.accessLogSettings = settings;
    return;
  }
  const method = /^\/([^/]+)\/([^/]+)\/logging\/(loglevel|dataTrace)$/.exec(path);
  if (method) {
    const key = `${method[1]}/${method[2]}`.replace(/~1/g, '/');
    const settings = (stage.methodSettings as Record<string, Record<string, unknown>> | undefined) ?? {};
    const entry = { ...(settings[key] ?? {}) };
    if (method[3] === 'loglevel') {
      if (!['OFF', 'ERROR', 'INFO'].includes(value ?? '')) {
        throw new PeerError('BadRequestException', `Invalid logging level: ${value}`);
      }
      entry.loggingLevel = value;
    } else entry.dataTraceEnabled = value === 'true';
    stage.methodSettings = { ...settings, [key]: entry };
    return;
  }
  throw new PeerError('BadRequestException', `Invalid patch path ${path}`);
}

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new PeerError('NotFoundException', message, 404);
  return value;
}
