import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { RenderedPublish } from '../core/render/index.js';
import { deliveryError } from './errors.js';

/** One Publish per alert; the SDK retries throttling and 5xx itself, then this throws. */
export async function publishAlert(
  client: SNSClient,
  topicArn: string,
  rendered: RenderedPublish,
): Promise<string> {
  try {
    const result = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: rendered.subject,
        Message: rendered.message,
        MessageStructure: 'json',
        MessageAttributes: Object.fromEntries(
          Object.entries(rendered.attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value || '-' },
          ]),
        ),
      }),
    );
    return result.MessageId ?? '';
  } catch (error) {
    throw deliveryError('publishing the alert', error);
  }
}
