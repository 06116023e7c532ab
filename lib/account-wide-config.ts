/**
 * The `accountWide` key of the `apigw403` context: watch every API Gateway stage of the account and
 * region, found by the discovery function (lib/account-wide.ts), besides the listed `apis[]`. Pure,
 * like lib/config.ts, which merges this schema into its own.
 */

import { z } from 'zod';
import { API_ID_PATTERN as API_ID } from '../lambda/core/gateway-ids.js';
import { isNot, objectOf, says, text, wholeNumber } from './config-schema.js';

/** Minutes between two scheduled sweeps; stage changes (CloudTrail through EventBridge) trigger one at once. */
export const DEFAULT_DISCOVERY_REFRESH_MINUTES = 15;
/** API ids `excludeApiIds` may list. */
export const MAX_EXCLUDED_API_IDS = 100;

export const ACCOUNT_WIDE_EXAMPLE = '"accountWide": {"refreshMinutes": 15, "excludeApiIds": ["a1b2c3d4e5"]}';

export const accountWideSchema = objectOf(
  {
    refreshMinutes: wholeNumber(
      1,
      720,
      'a whole number of minutes from 1 to 720',
      `"refreshMinutes": ${DEFAULT_DISCOVERY_REFRESH_MINUTES}`,
    ).default(DEFAULT_DISCOVERY_REFRESH_MINUTES),
    excludeApiIds: z
      .array(text(API_ID, 'an API id (10 lower-case letters or digits)', '"a1b2c3d4e5"'), {
        error: isNot('a list of API ids', '"excludeApiIds": ["a1b2c3d4e5"]'),
      })
      .max(MAX_EXCLUDED_API_IDS, {
        error: says(`lists more than ${MAX_EXCLUDED_API_IDS} API ids`, '"excludeApiIds": ["a1b2c3d4e5"]'),
      })
      .default([]),
  },
  'an object (use {} for the defaults)',
  ACCOUNT_WIDE_EXAMPLE,
);

export type AccountWideConfig = z.output<typeof accountWideSchema>;

/** What is wrong with `accountWide` given the rest of the context, if anything. */
export function accountWideIssue(context: {
  readonly mode: string;
  readonly accountWide?: unknown;
}): { path: string[]; message: string } | undefined {
  if (context.accountWide === undefined || context.mode === 'stages') return undefined;
  return {
    path: ['accountWide'],
    message: says(
      `is for a monitor of its own account; mode "${context.mode}" cannot use it`,
      context.mode === 'source'
        ? '"source": {"accountPolicy": {}} to send every group of a source account'
        : 'drop "accountWide", or deploy it in "stages" mode in the account of the APIs',
    ),
  };
}
