/**
 * The deploy-time subscription check, run as CloudFormation runs it: the real handler, the real SDK
 * against the loopback CloudWatch Logs peer, and its answer PUT to a loopback receiver standing in for
 * the pre-signed S3 response URL.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsPeers, startAwsPeers } from '../../cli/peers/aws-env.js';
import {
  failureReason,
  MAX_REASON_LENGTH,
  SUBSCRIPTION_FILTERS_PER_LOG_GROUP,
  subscriptionProblems,
} from '../../lambda/core/subscription-check.js';
import { type CustomResourceEvent, handler } from '../../lambda/subscription-check.js';

const MONITOR = 'arn:aws:lambda:us-east-1:123456789012:function:Apigw403Monitor-Monitor';
const OTHER = 'arn:aws:lambda:us-east-1:123456789012:function:log-shipper';
const ACCESS = '/aws/apigateway/a1b2c3d4e5/prod';
const EXECUTION = 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod';

let peers: AwsPeers;
let receiver: Server;
let responseUrl: string;
let answers: { headers: Record<string, unknown>; body: Record<string, unknown> }[];

beforeAll(async () => {
  peers = await startAwsPeers();
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      answers.push({ headers: request.headers, body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=x`;
});

afterAll(async () => {
  await peers.close();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  answers = [];
});

const event = (type: CustomResourceEvent['RequestType'], groups: string[]): CustomResourceEvent => ({
  RequestType: type,
  ResponseURL: responseUrl,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Apigw403Monitor/1',
  RequestId: `request-${type}`,
  LogicalResourceId: 'MonitorSubscriptionCheck',
  ResourceProperties: { LogGroups: groups, DestinationArn: MONITOR },
});

async function answerTo(request: CustomResourceEvent) {
  await handler(request);
  expect(answers).toHaveLength(1);
  return answers[0] ?? { headers: {}, body: {} };
}

describe('Custom::SubscriptionCheck', () => {
  it('answers SUCCESS when every group exists with a free slot, its own filter not counted', async () => {
    peers.logs.createLogGroup(ACCESS);
    peers.logs.createLogGroup(EXECUTION);
    peers.logs.putSubscriptionFilter(ACCESS, 'shipper', '', OTHER);
    peers.logs.putSubscriptionFilter(ACCESS, 'Apigw403Monitor-FilterAccess', '{ $.status = 403 }', MONITOR);
    const { body, headers } = await answerTo(event('Create', [ACCESS, EXECUTION]));
    expect(body).toMatchObject({
      Status: 'SUCCESS',
      RequestId: 'request-Create',
      LogicalResourceId: 'MonitorSubscriptionCheck',
      PhysicalResourceId: 'MonitorSubscriptionCheck-subscription-check',
    });
    expect(body.Reason).toBeUndefined();
    // A pre-signed S3 URL is signed without a content type.
    expect(headers['content-type'] ?? '').toBe('');
    const described = peers.logs.requestsFor('DescribeSubscriptionFilters').map((r) => r.body.logGroupName);
    expect(described.sort()).toEqual([ACCESS, EXECUTION].sort());
  });

  it('fails the deploy naming a group that does not exist', async () => {
    const { body } = await answerTo(event('Create', ['/aws/apigateway/nosuch0000/prod']));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(
      /^apigw-403-monitor cannot subscribe: log group \/aws\/apigateway\/nosuch0000\/prod does not exist/,
    );
  });

  it('fails the deploy naming a group that already has its two filters, and the filters', async () => {
    const full = '/aws/apigateway/full000000/prod';
    peers.logs.createLogGroup(full);
    peers.logs.putSubscriptionFilter(full, 'shipper', '', OTHER);
    peers.logs.putSubscriptionFilter(full, 'siem', '', 'arn:aws:kinesis:us-east-1:123456789012:stream/siem');
    const { body } = await answerTo(event('Update', [ACCESS, full]));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(
      `log group ${full} already has 2 subscription filters (shipper -> ${OTHER}, siem -> arn:aws:kinesis:us-east-1:123456789012:stream/siem)`,
    );
    expect(body.Reason).toContain(`aws logs delete-subscription-filter --log-group-name '${full}'`);
    expect(body.Reason).not.toContain(ACCESS);
  });

  it('answers FAILED with the service error when describing fails, instead of leaving CloudFormation waiting', async () => {
    peers.logs.failNext('DescribeSubscriptionFilters', 1, 'AccessDeniedException');
    const { body } = await answerTo(event('Create', [ACCESS]));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(
      /describing the log groups failed: AccessDeniedException: User is not authorized/,
    );
  });

  it('rides out a throttled describe with the SDK retry', async () => {
    peers.logs.failNext('DescribeSubscriptionFilters', 1, 'ThrottlingException');
    const { body } = await answerTo(event('Create', [ACCESS]));
    expect(body.Status).toBe('SUCCESS');
  });

  it('lets a delete (and a rollback) through without describing anything', async () => {
    const before = peers.logs.requestsFor('DescribeSubscriptionFilters').length;
    const { body } = await answerTo({
      ...event('Delete', ['/never/described']),
      PhysicalResourceId: 'kept-id',
    });
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kept-id' });
    expect(peers.logs.requestsFor('DescribeSubscriptionFilters')).toHaveLength(before);
  });
});

describe('subscriptionProblems', () => {
  it('counts only the filters of other destinations against the quota', () => {
    const mine = { filterName: 'mine', destinationArn: MONITOR };
    const other = { filterName: 'other', destinationArn: OTHER };
    expect(subscriptionProblems([{ logGroupName: 'g', filters: [mine, other] }], MONITOR)).toEqual([]);
    expect(SUBSCRIPTION_FILTERS_PER_LOG_GROUP).toBe(2);
    expect(
      subscriptionProblems([{ logGroupName: 'g', filters: [other, { ...other, filterName: 'b' }] }], MONITOR),
    ).toHaveLength(1);
  });

  it('keeps the reason within what CloudFormation shows', () => {
    const many = Array.from({ length: 200 }, (_, i) => `log group /g/${i} does not exist`);
    expect(failureReason(many).length).toBe(MAX_REASON_LENGTH);
    expect(failureReason(many).endsWith('...')).toBe(true);
  });
});
