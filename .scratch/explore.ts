import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { buildApp, REPO_FILES } from '../lib/app';
import { readAppConfig } from '../lib/app-config';
const synth = (ctx: Record<string, string>) => {
  const app = new App();
  const cfg = readAppConfig((k) => ctx[k], Object.keys(ctx));
  return Template.fromStack(buildApp(app, cfg, REPO_FILES)).toJSON();
};
const pairs: [string, Record<string,string>, Record<string,string>][] = [
  ['dbname', {}, { 'schemaguard:databaseName': 'orders' }],
  ['nat', {}, { 'schemaguard:natGateways': '1' }],
  ['major', { 'schemaguard:stage': 'prod', 'schemaguard:engineVersion': '17' }, { 'schemaguard:stage': 'prod', 'schemaguard:engineVersion': '18' }],
];
for (const [name, a, b] of pairs) {
  const d = fullDiff(synth(a), synth(b));
  console.log('==', name);
  d.resources.forEachDifference((id, ch) => {
    if (ch.changeImpact === ResourceImpact.WILL_REPLACE || ch.changeImpact === ResourceImpact.MAY_REPLACE || ch.isRemoval || ch.isAddition)
      console.log(id, ch.resourceType, ch.changeImpact, Object.entries(ch.propertyUpdates).filter(([,p]) => p.changeImpact?.includes('REPLACE')).map(([k,p]) => `${k}:${p.changeImpact}`).join(','));
  });
}
