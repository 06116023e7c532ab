import { ApiGatewayServer } from './api-gateway-server.js';
import { CloudWatchLogsServer } from './cloudwatch-logs-server.js';
import { LOCAL_ACCOUNT_ENV } from './http-peer.js';

export interface AwsPeers {
  readonly logs: CloudWatchLogsServer;
  readonly apiGateway: ApiGatewayServer;
  /** The variables that point the SDK (in-process or in a child process) at the peers. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts both peers and points this process's SDK clients at them through the standard endpoint
 * variables, with dummy credentials (the peers check a SigV4 header is present, not its value).
 */
export async function startAwsPeers(
  options: { logsPageSize?: number; apiGatewayPageSize?: number } = {},
): Promise<AwsPeers> {
  const logs = await CloudWatchLogsServer.start({ pageSize: options.logsPageSize ?? 50 });
  const apiGateway = await ApiGatewayServer.start({ pageSize: options.apiGatewayPageSize ?? 25 });
  const env = {
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
    AWS_ENDPOINT_URL_API_GATEWAY: apiGateway.endpoint,
    AWS_ENDPOINT_URL_APIGATEWAYV2: apiGateway.endpoint,
    ...LOCAL_ACCOUNT_ENV,
  };
  const previous = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  return {
    logs,
    apiGateway,
    env,
    async close() {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await Promise.all([logs.close(), apiGateway.close()]);
    },
  };
}

export interface CapturedIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly out: () => string;
  readonly err: () => string;
}

export function captureIo(tty = false): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    out: () => out,
    err: () => err,
  };
}
