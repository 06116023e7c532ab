import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';

export interface ReceivedSlackMessage {
  readonly text?: string;
  readonly blocks?: readonly { type: string; text?: { text: string }; elements?: unknown[] }[];
}

/** Records what a Slack incoming webhook would receive; `failNext` answers 500 to the next posts. */
export interface SlackReceiver extends HttpPeer {
  readonly webhookUrl: string;
  readonly messages: ReceivedSlackMessage[];
  readonly attempts: number;
  failNext(count: number, status?: number): void;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const messages: ReceivedSlackMessage[] = [];
  const failures: number[] = [];
  let attempts = 0;
  const peer = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    attempts += 1;
    const failure = failures.shift();
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end('internal_error');
      return;
    }
    messages.push(JSON.parse(body) as ReceivedSlackMessage);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  return {
    ...peer,
    webhookUrl: `${peer.endpoint}/services/T000/B000/local`,
    messages,
    get attempts() {
      return attempts;
    },
    failNext: (count, status = 500) => {
      for (let i = 0; i < count; i += 1) failures.push(status);
    },
  };
}
