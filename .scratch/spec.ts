import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
(async () => {
  const db = await loadAwsServiceSpec();
  for (const type of ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster']) {
    const r = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
    const props = Object.entries(r.properties);
    console.log(type, 'primaryIdentifier', r.primaryIdentifier, 'keys', Object.keys(r).join(','));
    console.log(' replace:', props.filter(([, p]) => p.causesReplacement === 'yes').map(([k]) => k).join(', '));
    console.log(' maybe:', props.filter(([, p]) => p.causesReplacement === 'maybe').map(([k]) => k).join(', '));
    console.log(' AllowMajor:', JSON.stringify(r.properties.AllowMajorVersionUpgrade));
  }
})();
