import { type HttpPeer, listenLoopback, readBody } from './http-peer.js';

/**
 * A Secrets Manager peer speaking the `awsJson1_1` protocol for the one call the Slack forwarder
 * makes (`X-Amz-Target: secretsmanager.GetSecretValue`). Point the SDK at it with
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export interface SecretsManagerServer extends HttpPeer {
  putSecret(name: string, value: string): string;
}

export async function startSecretsManagerServer(region = 'us-east-1'): Promise<SecretsManagerServer> {
  const secrets = new Map<string, { arn: string; name: string; value: string }>();
  const peer = await listenLoopback(async (req, res) => {
    const body = JSON.parse((await readBody(req)) || '{}') as { SecretId?: string };
    const answer = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload));
    };
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
      answer(400, {
        __type: 'InvalidRequestException',
        message: `unsupported ${req.headers['x-amz-target']}`,
      });
      return;
    }
    const secret = [...secrets.values()].find((s) => s.arn === body.SecretId || s.name === body.SecretId);
    if (!secret) {
      answer(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    answer(200, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: '00000000-0000-0000-0000-000000000001',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  });
  return {
    ...peer,
    putSecret: (name, value) => {
      const arn = `arn:aws:secretsmanager:${region}:000000000000:secret:${name}-AbCdEf`;
      secrets.set(name, { arn, name, value });
      return arn;
    },
  };
}
