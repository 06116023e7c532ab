/**
 * The CDK app: `npx cdk deploy` with the `apigw403` context of cdk.json. The context is validated in
 * full before any construct exists, so a bad value stops the synth with every problem listed.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEY, parseConfig } from '../lib/config.js';
import { buildDeployment } from '../lib/deployment.js';

const app = new App();
const result = parseConfig(app.node.tryGetContext(CONTEXT_KEY));
if (!result.ok) {
  console.error(`cdk.json context "${CONTEXT_KEY}" is not valid:`);
  for (const error of result.errors) console.error(`  - ${error}`);
  process.exit(1);
}
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
buildDeployment(app, result.config, account && region ? { env: { account, region } } : {});
// cdk-nag 3 runs as a CDK validation plugin: an unacknowledged error stops the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
