/**
 * The contract between the constructs and the functions they deploy
 * (lambda/handler/contract.ts), proven on the templates of every
 * configuration: every key a construct writes is declared and read by the
 * function it is written to, every declared key is written by some
 * configuration (or is for local runs only) and read, every custom resource
 * of ours is served by one function with the template's own deciding
 * properties (so its deploy events pass that function's check), a written
 * configuration reads back as written, no function reads a variable of ours
 * around the contract, and a default the project file shares is one value.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../../lambda/handler/config';
import { CONTRACT, type ContractEntry, type ContractKey, contractEnvironment, readContract } from '../../../lambda/handler/contract';
import { SETTINGS } from '../../../lib/config/settings';
import { PACKAGE_ROOT } from '../../../lib/paths';
import { DECIDING_PROPS, refuseUnserved, type Served } from '../../../lambda/handler/served';
import { type BundleFunction, type Configuration, functionsOf, resolve, stackIdOf, synthConfigurations } from '../../support/configurations';

const ENTRIES = Object.entries(CONTRACT) as [ContractKey, ContractEntry][];
const NAMES = new Set(ENTRIES.map(([, e]) => e.name));
/** Lambda's and Node.js's own, which the constructs set beside the contract. */
const NOT_OURS = new Set(['NODE_OPTIONS']);

let configurations: Configuration[];
let functions: (BundleFunction & { configuration: Configuration })[];

// Synthesising the configurations takes a minute or more on a busy machine.
beforeAll(() => {
  configurations = synthConfigurations();
  functions = configurations.flatMap((c) => functionsOf(c).map((f) => ({ ...f, configuration: c })));
}, 300_000);

/** The variables `read` asks `env` for. */
function namesRead(env: Record<string, string>, read: (env: NodeJS.ProcessEnv) => unknown): Set<string> {
  const asked = new Set<string>();
  const recording = new Proxy(env, {
    get: (target, name) => {
      if (typeof name === 'string') asked.add(name);
      return target[name as string];
    },
  });
  read(recording);
  return asked;
}

describe('The contract: construct ↔ function', () => {
  it('covers every function kind in the configurations (migrations, provisioner, operator, guard)', () => {
    expect(new Set(functions.map((f) => f.kind))).toEqual(new Set(['migrations', 'provisioner', 'operator', 'guard']));
  });

  it('every key written is declared, and read by the kind of function it is written to', () => {
    const stray = functions.flatMap((f) =>
      Object.keys(f.environment)
        .filter((name) => !NOT_OURS.has(name))
        .filter((name) => !NAMES.has(name) || !ENTRIES.find(([, e]) => e.name === name)?.[1].readBy.includes(f.kind))
        .map((name) => `${f.configuration.name}: ${f.logicalId} (${f.kind}) writes ${name}`),
    );
    expect(stray).toEqual([]);
  });

  it('every key declared is written by some configuration, unless it is for local runs only', () => {
    const written = new Set(functions.flatMap((f) => Object.keys(f.environment)));
    const unwritten = ENTRIES.filter(([, e]) => !e.localOnly && !written.has(e.name)).map(([, e]) => e.name);
    expect(unwritten).toEqual([]);
  });

  it("every key declared is read: the migration function's configuration and the guard's settings ask for each", () => {
    const asked = namesRead({ SCHEMAGUARD_SECRET_ARN: 'arn:s' }, (env) => {
      readConfig(env);
      readContract(env);
    });
    expect([...NAMES].filter((n) => !asked.has(n))).toEqual([]);
  });

  it('a written configuration reads back as written, for every function of every configuration', () => {
    for (const f of functions) {
      const env = resolve(f.environment, f.configuration.stackName) as Record<string, string>;
      const read = readContract(env);
      for (const [key, entry] of ENTRIES) {
        if (env[entry.name] === undefined) continue;
        expect(contractEnvironment({ [key]: read[key] })[entry.name] ?? '', `${f.configuration.name} ${f.logicalId} ${entry.name}`).toBe(
          entry.kind === 'json' ? JSON.stringify(JSON.parse(env[entry.name]!)) : env[entry.name],
        );
      }
      if (f.kind !== 'guard') expect(() => readConfig({ ...env, LAMBDA_TASK_ROOT: '/var/task' }), `${f.configuration.name} ${f.logicalId}`).not.toThrow();
    }
  });

  it('writes every setting of the "every setting" configuration under its key', () => {
    const onEvent = functions.find((f) => f.configuration.name.startsWith('instance, secret') && f.handler === 'onEvent')!;
    const values = readContract(resolve(onEvent.environment, onEvent.configuration.stackName) as Record<string, string>);
    expect(values).toMatchObject({
      databaseName: 'orders',
      stateSchema: 'orders_schemaguard',
      lockTimeoutMs: 3000,
      standbyWaitMs: 30_000,
      standbyStrict: true,
      failOnDrift: true,
      replicationPlanned: 'switched over',
      databaseLogGroup: '/aws/rds/instance/db/postgresql',
      reserveMs: 15_000,
      totalTimeoutMs: 45 * 60_000,
      operatorWrites: false,
    });
    const operator = functions.find((f) => f.configuration === onEvent.configuration && f.kind === 'operator')!;
    expect(readContract(resolve(operator.environment, onEvent.configuration.stackName) as Record<string, string>)).toMatchObject({
      operatorWrites: true,
      serves: [],
    });
  });

  it("every resource of ours is served by exactly one function, with the template's own deciding properties: its deploy events pass the check", () => {
    for (const c of configurations) {
      const served = functions
        .filter((f) => f.configuration === c && f.kind !== 'guard' && f.handler !== 'isComplete')
        .flatMap((f) => (readContract(resolve(f.environment, c.stackName) as Record<string, string>).serves as Served | undefined) ?? []);
      const ours = Object.entries(c.resources).filter(([, r]) => r.Type in DECIDING_PROPS);
      expect(ours.length, c.name).toBeGreaterThan(0);
      for (const [id, r] of ours) {
        const event = {
          RequestType: 'Create' as const,
          StackId: stackIdOf(c.stackName),
          RequestId: 'r',
          LogicalResourceId: id,
          ResourceType: r.Type,
          ResourceProperties: resolve(r.Properties ?? {}, c.stackName) as Record<string, unknown>,
        };
        expect(
          served.filter((s) => s.type === r.Type && s.id === id),
          `${c.name}: ${id}`,
        ).toHaveLength(1);
        expect(() => refuseUnserved(event, served), `${c.name}: ${id}`).not.toThrow();
      }
    }
  });

  it("a default the project file shares (lib/config/settings.ts) is the contract's", () => {
    const shared = ENTRIES.filter(([, e]) => e.setting !== undefined);
    expect(shared.length).toBeGreaterThan(0);
    for (const [, entry] of shared) {
      const setting = SETTINGS.find((s) => s.key === entry.setting);
      expect(setting, entry.name).toBeDefined();
      expect(setting?.read(setting?.default, { dir: '/' }), entry.name).toBe(setting?.path ? `/${entry.default}` : entry.default);
    }
  });

  it('no source file reads one of our variables around the contract', () => {
    const files = ['lambda', 'bin', 'lib'].flatMap((d) => sourceFiles(join(PACKAGE_ROOT, d)));
    const around = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /env\[ENV\.|env\.SCHEMAGUARD_(?!APPLIED_BY)|env\[['"]SCHEMAGUARD_/.test(line) ? [`${file.slice(PACKAGE_ROOT.length + 1)}:${i + 1}`] : [],
        ),
    );
    expect(around).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('contract.ts') ? [path] : [];
  });
}
