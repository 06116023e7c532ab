import type { HttpPeer } from './http-peer.js';
import { PeerError, type PeerRequest, type PeerResponse, startJsonServer } from './json-http.js';

/** The read calls the CLI makes, by SDK operation name. */
export type ApiGatewayOperation =
  | 'GetRestApi'
  | 'GetStage'
  | 'GetDomainName'
  | 'GetBasePathMappings'
  | 'GetApi'
  | 'GetStageV2'
  | 'GetApiMappings';

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
export interface ApiMappingBody {
  apiId: string;
  apiMappingId: string;
  apiMappingKey: string;
  stage: string;
}

interface Route {
  readonly operation: ApiGatewayOperation;
  readonly pattern: RegExp;
  readonly answer: (params: string[], query: Record<string, string>) => unknown;
}

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
  private readonly failures: { operation: ApiGatewayOperation; errorType: string }[] = [];
  private readonly routes: readonly Route[] = [
    {
      operation: 'GetStageV2',
      pattern: /^\/v2\/apis\/([^/]+)\/stages\/([^/]+)$/,
      answer: ([api, stage]) => this.httpStage(api, stage),
    },
    { operation: 'GetApi', pattern: /^\/v2\/apis\/([^/]+)$/, answer: ([api]) => this.httpApi(api) },
    {
      operation: 'GetApiMappings',
      pattern: /^\/v2\/domainnames\/([^/]+)\/apimappings$/,
      answer: ([domain], query) =>
        this.page(this.apiMappingsOf(domain), query, 'maxResults', 'nextToken', 'items'),
    },
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
    if (request.method !== 'GET')
      throw new PeerError('BadRequestException', `this peer only reads: ${request.method}`);
    const path = request.url.pathname;
    for (const route of this.routes) {
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
      return { body: route.answer(match.slice(1).map(decodeURIComponent), query) };
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

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new PeerError('NotFoundException', message, 404);
  return value;
}
