/**
 * What a request's module is given: the container's wiring (its clients,
 * made on first use) and one invocation's request, log and settings.
 */
import type { Redactor } from '../../engine/errors/redact';
import type { HandlerConfig } from '../config';
import type { Connector, ConnectorDependencies } from '../connection';
import type { LineWriter, Logger } from '../log';
import type { OperatorRunner } from '../operator';
import type { InvocationContext, OnEventRequest } from '../request';
import type { KnownState } from '../response';
import type { StackStatusClient } from '../rollback-report';
import type { SecretsClient } from '../secret';
import type { BackfillStarter, StepFunctionsClient } from '../step-functions';

/** What every invocation of one container shares. */
export interface Wiring {
  env: NodeJS.ProcessEnv;
  write: LineWriter;
  connector: Connector;
  /** The Secrets Manager client, made on first use (the guard role's secret). */
  secrets(): Promise<SecretsClient>;
  /** What a direct invocation's command connects with (the operator bundle makes its own connector from them). */
  connectorDeps: ConnectorDependencies;
  operator?: OperatorRunner;
  /** The CloudFormation client, made on first use (is a failing Update a rollback?). */
  stacks(): Promise<StackStatusClient>;
  /** The Step Functions client, made on first use (a fleet's rollout). */
  stepFunctions(): Promise<StepFunctionsClient>;
  /** The Step Functions client, made on first use (a backfill's workflow started). */
  backfillStarter(): Promise<BackfillStarter>;
}

/** One invocation: its request, its log and redactor, and its settings. */
export interface Invocation {
  event: OnEventRequest;
  context: InvocationContext;
  log: Logger;
  redactor: Redactor;
  connector: Connector;
  /** The function's environment (Lambda's own variables included). */
  env: NodeJS.ProcessEnv;
  /** The parsed environment; throws what was wrong with it. Delete never asks. */
  config(): HandlerConfig;
  /** What the database was at when last reached, for a rollback's report. */
  known?: KnownState;
  stepFunctions(): Promise<StepFunctionsClient>;
  backfillStarter(): Promise<BackfillStarter>;
}

/** What a body answers instead of failing when the stack is rolling back. */
export type RollbackAnswer<T> = (problem: string, inv: Invocation) => T;
