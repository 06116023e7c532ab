import { type DomainMapping, matchMapping } from './base-path.js';
import type { ClientFacts } from './client-rules.js';
import type { UrlShape } from './observation.js';

/** What the control plane said about the request's API, stage and domain (`null`: does not exist). */
export interface ControlPlaneView {
  readonly api?: { readonly privateApi: boolean; readonly defaultEndpointDisabled: boolean } | null;
  readonly stageExists?: boolean;
  readonly webAclAttached?: boolean;
  readonly domain?: { readonly mtlsRequired: boolean; readonly mappings: readonly DomainMapping[] } | null;
}

/** Turns control-plane answers into the facts the client rules weigh. */
export function factsFromControlPlane(
  shape: UrlShape,
  view: ControlPlaneView,
  expectedStage?: string,
): ClientFacts {
  const match = view.domain ? matchMapping(view.domain.mappings, shape.segments) : undefined;
  return {
    ...(expectedStage ? { expectedStage } : {}),
    ...(view.api
      ? { privateApi: view.api.privateApi, defaultEndpointDisabled: view.api.defaultEndpointDisabled }
      : {}),
    ...(view.stageExists === undefined ? {} : { stageExists: view.stageExists }),
    ...(view.webAclAttached === undefined ? {} : { webAclAttached: view.webAclAttached }),
    ...(view.domain ? { mtlsRequired: view.domain.mtlsRequired, basePathMapped: match !== undefined } : {}),
    ...(match
      ? {
          mappedApiId: match.mapping.apiId,
          mappedStage: match.mapping.stage,
          segmentAfterBasePath: match.rest[0],
        }
      : {}),
  };
}
