#!/usr/bin/env node
/**
 * Two ways to run the same app, pick one to deploy: `Widgets` (RDS for
 * PostgreSQL, migrated over a connection) or `WidgetsAurora` (Aurora
 * Serverless v2, migrated through the Data API). Environment-agnostic: synth
 * needs no credentials. `-c onCallTopicArn=arn:aws:sns:…` sends the alarms to
 * an existing topic; `-c onCallEmail=…` subscribes an address to a new one.
 */
import { App } from 'aws-cdk-lib';
import { WidgetsAuroraStack } from '../lib/widgets-aurora-stack';
import { WidgetsStack } from '../lib/widgets-stack';

const app = new App();
const onCall = { onCallTopicArn: app.node.tryGetContext('onCallTopicArn'), onCallEmail: app.node.tryGetContext('onCallEmail') };
new WidgetsStack(app, 'Widgets', onCall);
new WidgetsAuroraStack(app, 'WidgetsAurora', onCall);
