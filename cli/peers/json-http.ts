import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';

/** An AWS-style error answer: the SDK reads `__type` (JSON protocols) or `x-amzn-errortype` (REST). */
export class PeerError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface PeerRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface PeerResponse {
  readonly status?: number;
  readonly body: unknown;
}

/**
 * A loopback HTTP server for a peer speaking an AWS JSON wire protocol. Every request must be signed
 * (the SDK always signs, so an unsigned request means a client was built wrongly).
 */
export function startJsonServer(
  handle: (request: PeerRequest) => PeerResponse,
  contentType: string,
): Promise<HttpPeer> {
  return listenLoopback(async (req, res) => respond(req, res, await readBody(req), handle, contentType));
}

let requestCounter = 0;

function respond(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  handle: (request: PeerRequest) => PeerResponse,
  contentType: string,
): void {
  requestCounter += 1;
  const requestId = `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
  let status: number;
  let payload: unknown;
  let errorType: string | undefined;
  try {
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=')) {
      throw new PeerError('MissingAuthenticationTokenException', 'Request is missing a SigV4 signature');
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const result = handle({ method: req.method ?? 'GET', url, headers: req.headers, body });
    status = result.status ?? 200;
    payload = result.body;
  } catch (error) {
    const peerError =
      error instanceof PeerError ? error : new PeerError('InternalFailure', String(error), 500);
    status = peerError.status;
    errorType = peerError.type;
    payload = { __type: peerError.type, message: peerError.message };
  }
  res.writeHead(status, {
    'content-type': contentType,
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(status === 204 ? undefined : JSON.stringify(payload));
}
