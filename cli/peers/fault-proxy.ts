import { type IncomingMessage, request } from 'node:http';
import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';
import { operationOf, type RequestCounter } from './request-count.js';

/**
 * A pass-through proxy in front of a peer that can make the faults the peer cannot: throttling
 * (HTTP 429 answers, which the SDK retries), an outage (connections dropped) and a caller that dies
 * mid-request (`stall`: matching requests are never answered). With `counter`, every request that
 * arrives (refused ones too: the SDK sent them) is counted per operation under `service`.
 */
export interface FaultProxy extends HttpPeer {
  throttleNext(count: number): void;
  setDown(down: boolean): void;
  /**
   * From now on, requests for which `matches(operation, body)` holds get no answer, as if the caller
   * had crashed while waiting: the caller's invocation never continues past them. `arrived` resolves
   * at the first one; `end()` drops them all and stops stalling.
   */
  stall(matches: (operation: string, body: string) => boolean): Stall;
  readonly forwarded: number;
  readonly refused: number;
  readonly inFlight: number;
  /** The most requests in flight at once since the last `resetInFlight()`. */
  readonly maxInFlight: number;
  resetInFlight(): void;
}

export interface Stall {
  readonly arrived: Promise<void>;
  end(): void;
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
  let inFlight = 0;
  let maxInFlight = 0;
  const stalls: {
    matches: (operation: string, body: string) => boolean;
    held: IncomingMessage[];
    arrive: () => void;
  }[] = [];
  const peer = await listenLoopback(async (req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
    });
    const body = await readBody(req);
    const operation = operationOf(req.headers, body);
    counting?.counter.record(counting.service, operation);
    const stall = stalls.find((candidate) => candidate.matches(operation, body));
    if (stall) {
      stall.held.push(req);
      stall.arrive();
      return;
    }
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
    stall: (matches) => {
      let arrive = () => {};
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve;
      });
      const entry = { matches, held: [] as IncomingMessage[], arrive };
      stalls.push(entry);
      return {
        arrived,
        end: () => {
          stalls.splice(stalls.indexOf(entry), 1);
          for (const req of entry.held) req.socket.destroy();
        },
      };
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetInFlight: () => {
      maxInFlight = inFlight;
    },
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
  };
}
