export const PARTS: Record<'cli' | 'handler' | 'package', () => Promise<void>>;
export function buildAll(names?: ('cli' | 'handler' | 'package')[]): Promise<void>;
export function gitDependencyBuild(env?: NodeJS.ProcessEnv): boolean;
