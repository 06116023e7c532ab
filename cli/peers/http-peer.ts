import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpPeer {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An HTTP server on 127.0.0.1 on a free port. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<HttpPeer & { server: Server }> {
  const server = createServer((req, res) => {
    Promise.resolve(handle(req, res)).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const LOCAL_REGION = 'us-east-1';

/** Region and dummy credentials for every local peer: the peers check a SigV4 header exists, not its keys. */
export const LOCAL_ACCOUNT_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
};
