#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { WidgetsStack } from '../lib/widgets-stack';

const app = new App();
new WidgetsStack(app, 'Widgets', {
  // Environment-agnostic: synth needs no credentials. Alarms page this address.
  onCallEmail: app.node.tryGetContext('onCallEmail'),
});
