import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';

export interface ReceivedSlackMessage {
  readonly text?: string;
  readonly blocks?: readonly { type: string; text?: { text: string }; elements?: unknown[] }[];
}

/**
 * Records what a Slack incoming webhook would receive; `failNext` answers an error (500 unless told)
 * to the next posts, with the given headers (a 429 with `retry-after`, as Slack rate-limits).
 */
export interface SlackReceiver extends HttpPeer {
  readonly webhookUrl: string;
  readonly messages: ReceivedSlackMessage[];
  readonly attempts: number;
  failNext(count: number, status?: number, headers?: Readonly<Record<string, string>>): void;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const messages: ReceivedSlackMessage[] = [];
  const failures: { status: number; headers: Readonly<Record<string, string>> }[] = [];
  let attempts = 0;
  const peer = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    attempts += 1;
    const failure = failures.shift();
    if (failure !== undefined) {
      res
        .writeHead(failure.status, { 'content-type': 'text/plain', ...failure.headers })
        .end(failure.status === 429 ? 'rate_limited' : 'internal_error');
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
    failNext: (count, status = 500, headers = {}) => {
      if (count <= 0) failures.length = 0;
      for (let i = 0; i < count; i += 1) failures.push({ status, headers });
    },
  };
}
