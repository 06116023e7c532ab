/**
 * Printed checks run by the real AWS CLI (Debian's v2) as a user pastes them into bash with history
 * expansion on: a double-quoted `--query`, and a stage name holding `!`, `$(…)`, a quote and a
 * backslash, each reach the API Gateway server (loopback) as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayServer } from '../../cli/peers/api-gateway-server.js';
import { describeCategory } from '../../lambda/core/index.js';
import { pasteIntoBash } from '../fixtures/aws-cli.js';

const API = 'a1b2c3d4e5';
const HOSTILE_STAGE = "it's!!-$(touch P)-`id`-\\n";
let apiGateway: ApiGatewayServer;

beforeAll(async () => {
  apiGateway = await ApiGatewayServer.start();
  apiGateway.addRestApi({ id: API });
  apiGateway.addStage(API, { stageName: 'prod', deploymentId: 'd1' });
  apiGateway.addStage(API, { stageName: HOSTILE_STAGE, deploymentId: 'd2' });
});
afterAll(() => apiGateway.close());

/** The one check of `category` that runs `command`, as printed for the stage. */
function check(category: 'INVALID_STAGE' | 'ROUTE_NOT_FOUND', command: RegExp, stage: string): string {
  const checks = describeCategory(category, { apiId: API, stage, region: 'eu-west-1' }).checks;
  const found = checks.find((line) => command.test(line));
  if (!found) throw new Error(`${category} prints no ${command} check: ${checks.join(' | ')}`);
  return found.replace(/ {2}\(.*\)$/, '');
}

const paste = async (command: string) =>
  JSON.parse(
    (
      await pasteIntoBash(['set -o history -o histexpand', 'export AWS_DEFAULT_OUTPUT=json', command], {
        apiGateway: apiGateway.endpoint,
      })
    ).stdout,
  ) as unknown;

describe('printed checks, run by the AWS CLI', () => {
  it('get-stages with its double-quoted --query lists the stage names', async () => {
    const command = check('INVALID_STAGE', /get-stages .*--query "/, 'prod');
    expect(await paste(command)).toEqual(['prod', HOSTILE_STAGE]);
  }, 60_000);

  it('get-stage reads the stage whose name holds !!, $(…), a quote and a backslash', async () => {
    const command = check('ROUTE_NOT_FOUND', /get-stage --rest-api-id/, HOSTILE_STAGE);
    expect(command).toContain('!!');
    expect(await paste(command)).toMatchObject({ stageName: HOSTILE_STAGE, deploymentId: 'd2' });
  }, 60_000);
});
