/**
 * The cold-start reference: the least a Lambda that publishes to SNS must load (the SNS client, no
 * logger, no classifier, no zod). Bundled with the same flags as the monitor; never deployed. The topic
 * variable's name comes from the contract, which holds only names (test/infra/bundling.test.ts checks
 * that nothing else of the project, and no zod, is in this bundle).
 */

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { MONITOR_ENV } from '../lambda/core/monitor-contract.js';

const sns = new SNSClient({});

export const handler = async (event: { message?: string }): Promise<string | undefined> =>
  (
    await sns.send(
      new PublishCommand({ TopicArn: process.env[MONITOR_ENV.topicArn], Message: event.message ?? '' }),
    )
  ).MessageId;
