/**
 * The Slack forwarder's environment (monitor-contract.ts `FORWARDER_ENV`), read apart from the
 * monitor's (env-config.ts): the forwarder's bundle then carries no noise-policy schema.
 */
import { FORWARDER_ENV } from '../core/monitor-contract.js';
import { type Env, required } from './env-read.js';

export interface ForwarderConfig {
  readonly webhookSecretArn: string;
}

export function forwarderConfig(env: Env = process.env): ForwarderConfig {
  return { webhookSecretArn: required(env, FORWARDER_ENV.webhookSecretArn) };
}
