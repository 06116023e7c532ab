import {
  GetBasePathMappingsCommand,
  GetDomainNameCommand,
  GetRestApiCommand,
  GetStageCommand,
} from '@aws-sdk/client-api-gateway';
import { GetApiCommand, GetStageCommand as GetHttpStageCommand } from '@aws-sdk/client-apigatewayv2';
import type { ApiKind } from '../../lambda/core/index.js';
import type { AwsClients } from './clients.js';

export interface ApiInfo {
  readonly kind: ApiKind;
  readonly apiId: string;
  readonly privateApi: boolean;
  readonly defaultEndpointDisabled: boolean;
  /** An `apigatewayv2` API whose protocol is WEBSOCKET: its access log takes fewer variables. */
  readonly webSocket?: boolean;
}

export interface StageInfo {
  readonly api: ApiInfo;
  readonly stage: string;
  readonly accessLog?: {
    readonly destinationArn: string;
    readonly groupName: string;
    readonly format?: string;
  };
  /** REST only: the `*\/*` method setting (`OFF`, `ERROR`, `INFO`); HTTP APIs have no execution logs. */
  readonly executionLoggingLevel?: string;
  readonly webAclArn?: string;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'NotFoundException';
}

/** The API by id: a REST API, else an HTTP API; `undefined` when neither exists. */
export async function readApi(
  clients: AwsClients,
  apiId: string,
  kind?: ApiKind,
): Promise<ApiInfo | undefined> {
  if (kind !== 'http') {
    try {
      const api = await clients.restApis.send(new GetRestApiCommand({ restApiId: apiId }));
      return {
        kind: 'rest',
        apiId,
        privateApi: api.endpointConfiguration?.types?.includes('PRIVATE') ?? false,
        defaultEndpointDisabled: api.disableExecuteApiEndpoint ?? false,
      };
    } catch (error) {
      if (!isNotFound(error) || kind === 'rest') return rethrowUnlessNotFound(error);
    }
  }
  try {
    const api = await clients.httpApis.send(new GetApiCommand({ ApiId: apiId }));
    return {
      kind: 'http',
      apiId,
      privateApi: false,
      defaultEndpointDisabled: api.DisableExecuteApiEndpoint ?? false,
      ...(api.ProtocolType === 'WEBSOCKET' ? { webSocket: true } : {}),
    };
  } catch (error) {
    return rethrowUnlessNotFound(error);
  }
}

function rethrowUnlessNotFound(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}

/** The stage's logging set-up; `undefined` when the API has no such stage. */
export async function readStage(
  clients: AwsClients,
  api: ApiInfo,
  stage: string,
): Promise<StageInfo | undefined> {
  try {
    if (api.kind === 'rest') {
      const answer = await clients.restApis.send(
        new GetStageCommand({ restApiId: api.apiId, stageName: stage }),
      );
      return {
        api,
        stage,
        accessLog: accessLogOf(answer.accessLogSettings?.destinationArn, answer.accessLogSettings?.format),
        executionLoggingLevel: answer.methodSettings?.['*/*']?.loggingLevel ?? 'OFF',
        webAclArn: answer.webAclArn,
      };
    }
    const answer = await clients.httpApis.send(
      new GetHttpStageCommand({ ApiId: api.apiId, StageName: stage }),
    );
    return {
      api,
      stage,
      accessLog: accessLogOf(answer.AccessLogSettings?.DestinationArn, answer.AccessLogSettings?.Format),
    };
  } catch (error) {
    return rethrowUnlessNotFound(error);
  }
}

function accessLogOf(destinationArn: string | undefined, format: string | undefined): StageInfo['accessLog'] {
  if (!destinationArn) return undefined;
  return { destinationArn, groupName: logGroupNameOf(destinationArn), ...(format ? { format } : {}) };
}

/** `arn:aws:logs:r:a:log-group:NAME[:*]` -> `NAME`. */
export function logGroupNameOf(arn: string): string {
  return arn.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '');
}

export interface DomainInfo {
  readonly mtlsRequired: boolean;
  readonly mappings: readonly { readonly basePath: string; readonly apiId: string; readonly stage: string }[];
}

/** A custom domain's mutual-TLS setting and API mappings; `undefined` when the domain is not in this account and region. */
export async function readDomain(clients: AwsClients, domainName: string): Promise<DomainInfo | undefined> {
  try {
    const domain = await clients.restApis.send(new GetDomainNameCommand({ domainName }));
    const mappings: DomainInfo['mappings'][number][] = [];
    let position: string | undefined;
    do {
      const page = await clients.restApis.send(new GetBasePathMappingsCommand({ domainName, position }));
      for (const item of page.items ?? []) {
        mappings.push({
          basePath: item.basePath ?? '(none)',
          apiId: item.restApiId ?? '',
          stage: item.stage ?? '',
        });
      }
      position = page.position;
    } while (position);
    return { mtlsRequired: Boolean(domain.mutualTlsAuthentication?.truststoreUri), mappings };
  } catch (error) {
    return rethrowUnlessNotFound(error);
  }
}
