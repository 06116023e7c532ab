import { parseAlertView } from './alert-schema.js';
import { renderDigestPublish } from './digest.js';
import { parseDigestView } from './digest-schema.js';
import { type RenderedPublish, renderPublish } from './sns-message.js';

/** The relay function's Powertools service name. */
export const RELAY_SERVICE_NAME = 'apigw-403-chatbot-relay';

/**
 * What a route's relay publishes for a message it received as a Lambda subscriber (the `default`
 * view): the same rendering for every protocol the monitor published, from the view that passes its
 * schema; `undefined` for anything else. Pure.
 */
export function relayedPublish(message: string):
  | (Pick<RenderedPublish, 'subject' | 'message'> & {
      readonly attributes: Readonly<Record<string, string | undefined>>;
    })
  | undefined {
  const alert = parseAlertView(message);
  if (alert) return renderPublish(alert);
  const digest = parseDigestView(message);
  return digest ? renderDigestPublish(digest) : undefined;
}
