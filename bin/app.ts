/**
 * The CDK app: `npx cdk synth --no-notices` (cdk.json runs `npx tsx bin/app.ts`).
 * Configuration comes from the `schemaguard:` context keys (lib/app-config.ts);
 * the stack is environment-agnostic, so synth needs no credentials and no lookups.
 * It deploys this repository's own migrations/, contracts/ and snapshot,
 * named explicitly (REPO_FILES): the constructs never default to them.
 * cdk-nag's AwsSolutions pack runs at synth (an unacknowledged finding fails it);
 * each accepted finding is acknowledged, with its reason, on the construct that
 * owns it (`acknowledge` in lib/nag.ts), and docs/reference/more/cdk-nag.md lists them.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, readAppConfig } from '../lib/app-config';
import { buildApp, buildAuroraApp, REPO_FILES } from '../lib/app';

const app = new App();
try {
  const config = readAppConfig((k) => app.node.tryGetContext(k), Object.keys(app.node.getAllContext()));
  const stack = config.engine === 'aurora' ? buildAuroraApp(app, config, REPO_FILES) : buildApp(app, config, REPO_FILES);
  Tags.of(stack).add('project', 'schemaguard');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`schemaguard: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
