import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { RenderedPublish } from '../core/render/index.js';
import { wellFormed } from '../core/well-formed.js';
import { deliveryError } from './errors.js';

/**
 * One Publish per alert (or digest); the SDK retries throttling and 5xx itself, then this throws. Raw text fields
 * are made well-formed: a lone surrogate would make the request's URL encoding throw (the message is
 * JSON, whose encoder already escapes them).
 */
export async function publishAlert(
  client: SNSClient,
  topicArn: string,
  rendered: Pick<RenderedPublish, 'subject' | 'message'> & {
    readonly attributes: Readonly<Record<string, string | undefined>>;
  },
): Promise<string> {
  try {
    const result = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: wellFormed(rendered.subject),
        Message: wellFormed(rendered.message),
        MessageStructure: 'json',
        MessageAttributes: Object.fromEntries(
          Object.entries(rendered.attributes).flatMap(([name, value]) =>
            value === undefined
              ? []
              : [[name, { DataType: 'String', StringValue: wellFormed(value) || '-' }]],
          ),
        ),
      }),
    );
    return result.MessageId ?? '';
  } catch (error) {
    throw deliveryError('publishing the alert', error);
  }
}
