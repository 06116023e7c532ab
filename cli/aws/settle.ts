import {
  type ClientExplanation,
  type ClientObservation,
  type ControlPlaneView,
  explainObservation,
  factsFromControlPlane,
  matchMapping,
  settleWithFinding,
} from '../../lambda/core/explain/index.js';
import { classifyDocuments, executionLogGroupName, type Finding, RULES } from '../../lambda/core/index.js';
import { readApi, readDomain, readStage, type StageInfo } from './api-gateway.js';
import { type AwsClients, describeAwsError } from './clients.js';
import { readGroup } from './log-reader.js';

export interface SettleOptions {
  readonly expectedStage?: string;
  readonly requestId?: string;
  readonly startTime: number;
  readonly endTime: number;
}

export interface Settled {
  readonly explanation: ClientExplanation;
  /** What the lookups found or could not find, one line each. */
  readonly notes: readonly string[];
  /** The request was found in the stage's logs and the answer is theirs. */
  readonly foundInLogs: boolean;
}

/**
 * Asks the control plane what the response alone cannot say (stage, default endpoint, private API,
 * domain mapping, mTLS, web ACL), re-ranks with those facts, then looks the request id up in the
 * stage's logs. A failed lookup is noted and the answer stays the client-side one.
 */
export async function settleWithAws(
  clients: AwsClients,
  observation: ClientObservation,
  first: ClientExplanation,
  options: SettleOptions,
): Promise<Settled> {
  const notes: string[] = [];
  const { view, stage } = await readControlPlane(clients, first, notes);
  let explanation = explainObservation(
    observation,
    factsFromControlPlane(first.shape, view, options.expectedStage),
  );
  if (explanation.kind !== 'explained') return { explanation: first, notes, foundInLogs: false };
  const requestId = options.requestId ?? explanation.requestId;
  const finding =
    stage && requestId ? await findInLogs(clients, stage, requestId, options, notes) : undefined;
  if (finding) explanation = settleWithFinding(explanation, finding);
  return { explanation, notes, foundInLogs: finding !== undefined };
}

interface ControlPlaneRead {
  readonly view: ControlPlaneView;
  readonly stage?: StageInfo;
}

/** The domain (for a custom domain), then the API and stage it or the URL names. */
async function readControlPlane(
  clients: AwsClients,
  first: ClientExplanation,
  notes: string[],
): Promise<ControlPlaneRead> {
  const view: { -readonly [K in keyof ControlPlaneView]: ControlPlaneView[K] } = {};
  try {
    let apiId = first.apiId;
    let stageName = first.stage;
    if (first.domainName) {
      const domain = await readDomain(clients, first.domainName);
      view.domain = domain ?? null;
      if (!domain) notes.push(`custom domain ${first.domainName} is not in this account and region`);
      const match = domain ? matchMapping(domain.mappings, first.shape.segments) : undefined;
      apiId = match?.mapping.apiId;
      stageName = match?.mapping.stage;
    }
    const api = apiId ? await readApi(clients, apiId) : undefined;
    if (apiId && !api) notes.push(`API ${apiId} is not in this account and region`);
    if (!api) return { view };
    view.api = api;
    if (!stageName) return { view };
    const stage = await readStage(clients, api, stageName);
    view.stageExists = stage !== undefined;
    if (stage) view.webAclAttached = stage.webAclArn !== undefined;
    return { view, stage };
  } catch (error) {
    notes.push(describeAwsError('reading the API configuration', error));
    return { view };
  }
}

/** The causes API Gateway answers before any stage logs the request, named as the output names them. */
const NEVER_LOGGED = `${Object.values(RULES)
  .filter((rule) => rule.visibleIn === 'client')
  .map((rule) => rule.category)
  .join(', ')} are answered before any stage logs the request`;

async function findInLogs(
  clients: AwsClients,
  stage: StageInfo,
  requestId: string,
  options: SettleOptions,
  notes: string[],
): Promise<Finding | undefined> {
  const groups = [
    ...(stage.accessLog ? [stage.accessLog.groupName] : []),
    ...(stage.api.kind === 'rest' ? [executionLogGroupName(stage.api.apiId, stage.stage)] : []),
  ];
  try {
    const reads = [];
    for (const group of groups) {
      reads.push(
        await readGroup(clients.logs, group, `"${requestId}"`, {
          startTime: options.startTime,
          endTime: options.endTime,
          maxPages: 20,
        }),
      );
    }
    const accessGroup = stage.accessLog?.groupName;
    const { findings } = classifyDocuments(
      reads.flatMap((read) => read.documents),
      {
        resolveStage: (group) =>
          group === accessGroup ? { apiId: stage.api.apiId, stage: stage.stage } : undefined,
      },
    );
    const finding = findings.find(
      (entry) => entry.requestId === requestId || entry.extendedRequestId === requestId,
    );
    notes.push(
      finding
        ? `request ${requestId} found in the stage's logs`
        : `request ${requestId} is not in the stage's logs (${groups.join(', ') || 'no log groups'}): ${NEVER_LOGGED}`,
    );
    return finding;
  } catch (error) {
    notes.push(describeAwsError(`looking up request ${requestId}`, error));
    return undefined;
  }
}
