import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
(async () => {
  const db = await loadAwsServiceSpec();
  for (const type of ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster']) {
    const r = db.lookup('resource', 'cloudFormationType', 'equals', type).only();
    const props = Object.entries(r.properties);
    console.log(type, 'yes:', props.filter(([, p]) => p.causesReplacement === 'yes').map(([k]) => k).sort().join(', '));
    console.log(type, 'maybe:', props.filter(([, p]) => p.causesReplacement === 'maybe').map(([k]) => k).sort().join(', '));
  }
})();
