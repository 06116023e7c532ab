import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent } from 'aws-lambda';
import { snsClient } from './adapters/clients.js';
import { MonitorError } from './adapters/errors.js';
import { publishAlert } from './adapters/sns-publisher.js';
import { MONITOR_ENV, SERVICE_NAME_ENV } from './core/monitor-contract.js';
import { RELAY_SERVICE_NAME, relayedPublish } from './core/render/relay.js';

/**
 * A route's AWS Chatbot channel: SNS delivers to this function the messages the route's filter
 * policy matches (the Lambda protocol gets the `default` view), and it publishes each again to the
 * route's own topic, rendered for every protocol, which the Chatbot channel subscribes to as a whole.
 * SNS cannot subscribe a topic to a topic, and Chatbot's own subscription takes no filter policy.
 */

const logger = new Logger({ serviceName: process.env[SERVICE_NAME_ENV] ?? RELAY_SERVICE_NAME });

function routeTopicArn(): string {
  const arn = process.env[MONITOR_ENV.topicArn]?.trim();
  if (!arn) throw new MonitorError(`configuration: ${MONITOR_ENV.topicArn} is required`, false);
  return arn;
}

/**
 * Every record is relayed or thrown for: a failed publish throws so that SNS's Lambda retries and the
 * on-failure destination keep it. A message that is not a monitor view (the filter policy lets only
 * the monitor's through) is logged and left, never passed to the channel unrendered.
 */
export const handler = async (event: SNSEvent): Promise<void> => {
  const topicArn = routeTopicArn();
  for (const record of event.Records) {
    const publish = relayedPublish(record.Sns.Message);
    if (!publish) {
      logger.warn('left a message that is not a monitor alert or digest', {
        messageId: record.Sns.MessageId,
      });
      continue;
    }
    await publishAlert(snsClient(), topicArn, publish);
  }
};
