/**
 * What a user's `cdk synth` has that the test run's processes do not:
 * aws-cdk-lib's built-in CloudFormation check, which vitest.config.ts turns
 * off for the run (CDK_VALIDATION=false). A synthesis that stands for a
 * user's (the shipped app, the packed tarball in a fresh project) spreads
 * this into its child's environment to get it back (an undefined variable is
 * left out of a child's environment).
 */
export const USER_SYNTH_ENV: NodeJS.ProcessEnv = { CDK_VALIDATION: undefined };
