/**
 * The cold-start reference: the least a Lambda that publishes to SNS must load (the SNS client, no
 * logger, no classifier). Bundled with the same flags as the monitor; never deployed.
 */

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { MONITOR_ENV } from '../lambda/core/monitor-contract.js';

// The contract's name, checked by the compiler: importing the contract's value would bundle what the
// contract imports (zod, through the noise policy), and the reference would no longer be bare.
const TOPIC_ARN_ENV: (typeof MONITOR_ENV)['topicArn'] = 'TOPIC_ARN';

const sns = new SNSClient({});

export const handler = async (event: { message?: string }): Promise<string | undefined> =>
  (await sns.send(new PublishCommand({ TopicArn: process.env[TOPIC_ARN_ENV], Message: event.message ?? '' })))
    .MessageId;
