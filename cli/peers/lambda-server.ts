import type { ServerResponse } from 'node:http';
import { functionNameOf } from '../commands/replay.js';
import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';

/** An in-process function body: what the deployed code's handler does with one event. */
export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface LambdaServer extends HttpPeer {
  /** Function names invoked, in order. */
  readonly invocations: readonly string[];
}

/** What `GetFunctionConfiguration` answers for a function: its environment variables. */
export type FunctionEnvironments = Readonly<Record<string, Readonly<Record<string, string>>>>;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;

/** `GetFunctionConfiguration`'s answer for a configured name (else the 404 below answers). */
function configurationOf(
  method: string | undefined,
  path: string,
  environments: FunctionEnvironments,
): object | undefined {
  const configured = CONFIGURATION_PATH.exec(path)?.[1];
  if (method !== 'GET' || configured === undefined) return undefined;
  const name = functionNameOf(decodeURIComponent(configured));
  const variables = environments[name];
  return variables ? { FunctionName: name, Environment: { Variables: variables } } : undefined;
}

/**
 * A Lambda peer on 127.0.0.1 for `Invoke` (REST-JSON, `RequestResponse`): each name runs an in-process
 * handler, as the service runs the deployed code; `GetFunctionConfiguration` answers the environment
 * given for a name. A handler that throws answers 200 with
 * `X-Amz-Function-Error: Unhandled`, an unknown name 404 `ResourceNotFoundException`, as Lambda does.
 */
export async function startLambdaServer(
  functions: Readonly<Record<string, LocalFunction>>,
  environments: FunctionEnvironments = {},
): Promise<LambdaServer> {
  const invocations: string[] = [];
  const peer = await listenLoopback(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const configuration = configurationOf(req.method, path, environments);
    if (configuration) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(configuration));
      return;
    }
    const match = INVOKE_PATH.exec(path);
    const name = match?.[1] === undefined ? undefined : functionNameOf(decodeURIComponent(match[1]));
    const run = name === undefined ? undefined : functions[name];
    if (req.method !== 'POST' || name === undefined || !run) {
      res
        .writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        })
        .end(JSON.stringify({ Type: 'User', message: `Function not found: ${name ?? req.url}` }));
      return;
    }
    invocations.push(name);
    await invoke(run, body, res);
  });
  return { ...peer, invocations };
}

/** Runs a function as Invoke does: its result, or its error as `X-Amz-Function-Error: Unhandled`. */
async function invoke(run: LocalFunction, body: string, res: ServerResponse): Promise<void> {
  try {
    const result = await run(body ? JSON.parse(body) : {});
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
  } catch (error) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(
      JSON.stringify({
        errorType: error instanceof Error ? error.name : 'Error',
        errorMessage: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}
