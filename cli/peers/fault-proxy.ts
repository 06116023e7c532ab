import { request } from 'node:http';
import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';
import { operationOf, type RequestCounter } from './request-count.js';

/**
 * A pass-through proxy in front of a peer that can make the faults the peer cannot: throttling
 * (HTTP 429 answers, which the SDK retries) and an outage (connections dropped). With `counter`, every
 * request that arrives (refused ones too: the SDK sent them) is counted per operation under `service`.
 */
export interface FaultProxy extends HttpPeer {
  throttleNext(count: number): void;
  setDown(down: boolean): void;
  readonly forwarded: number;
  readonly refused: number;
}

export async function startFaultProxy(
  target: string,
  counting?: { readonly counter: RequestCounter; readonly service: string },
): Promise<FaultProxy> {
  const upstream = new URL(target);
  let throttles = 0;
  let down = false;
  let forwarded = 0;
  let refused = 0;
  const peer = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    counting?.counter.record(counting.service, operationOf(req.headers, body));
    if (down) {
      refused += 1;
      req.socket.destroy();
      return;
    }
    if (throttles > 0) {
      throttles -= 1;
      refused += 1;
      res
        .writeHead(429, { 'content-type': 'text/xml', 'x-amzn-requestid': 'throttled' })
        .end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId></ErrorResponse>',
        );
      return;
    }
    forwarded += 1;
    const proxied = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on('error', () => res.writeHead(502).end());
    proxied.end(body);
  });
  return {
    ...peer,
    throttleNext: (count) => {
      throttles += count;
    },
    setDown: (value) => {
      down = value;
    },
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
  };
}
