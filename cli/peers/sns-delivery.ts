import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';

/** The SNS envelope fauxqs (like SNS) wraps a message in when raw delivery is off. */
export interface SnsEnvelope {
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject: string | null;
  readonly Message: string;
  readonly Timestamp: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * What SNS delivers to one protocol from a `MessageStructure: json` publish: the protocol's key, else
 * `default`. fauxqs stores the structure as published, so the local peers make this choice here.
 */
export function messageForProtocol(
  structured: string,
  protocol: 'email' | 'sqs' | 'lambda' | 'https',
): string {
  const parsed = JSON.parse(structured) as Record<string, string | undefined>;
  return parsed[protocol] ?? parsed.default ?? structured;
}

export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ envelope: SnsEnvelope; receiptHandle: string }[]> {
  const received: { envelope: SnsEnvelope; receiptHandle: string }[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return received;
    for (const message of Messages) {
      received.push({
        envelope: JSON.parse(message.Body ?? '{}') as SnsEnvelope,
        receiptHandle: message.ReceiptHandle ?? '',
      });
    }
  }
}

/** An SNS → Lambda event for one envelope, with the message SNS would give the Lambda protocol. */
export function snsEventFor(envelope: SnsEnvelope, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? '',
          Message: messageForProtocol(envelope.Message, 'lambda'),
          Timestamp: envelope.Timestamp,
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/local.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [
              name,
              { Type: value.Type, Value: value.Value },
            ]),
          ),
        },
      },
    ],
  };
}

/**
 * Delivers what the Slack forwarder's subscription holds to the forwarder handler, as SNS would
 * invoke it; a message is deleted only after the handler succeeded.
 */
export async function deliverToLambda(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SNSEvent) => Promise<void>,
): Promise<number> {
  let delivered = 0;
  for (const { envelope, receiptHandle } of await receiveAll(sqs, queueUrl)) {
    await handler(snsEventFor(envelope, `${envelope.TopicArn}:slack-forwarder`));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
    delivered += 1;
  }
  return delivered;
}
