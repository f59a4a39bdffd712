import { describe, expect, it } from 'vitest';
import { defaults } from '../../../../bin/cli/args';
import { connectTarget, stateSchemaFlag, type CommandContext } from '../../../../bin/cli/commands/context';
import { UsageError } from '../../../../bin/cli/errors';
import { InputError } from '../../../../lambda/engine/errors/errors';
import { Redactor } from '../../../../lambda/engine/errors/redact';

function contextWith(opts: Partial<ReturnType<typeof defaults>>): CommandContext {
  const none = () => undefined;
  return {
    opts: { ...defaults({}), ...opts },
    env: {},
    out: none,
    outDrained: async () => undefined,
    err: none,
    progress: none,
    redactor: new Redactor(),
    onEmbedded: none,
  };
}

describe('Function: stateSchemaFlag', () => {
  it('passes a usable --state-schema through', () => {
    expect(stateSchemaFlag(contextWith({ stateSchema: 'ops "state"' }).opts)).toBe('ops "state"');
  });

  it('refuses a 64-byte name as a usage error named after the flag', () => {
    let e: unknown;
    try {
      stateSchemaFlag(contextWith({ stateSchema: 's'.repeat(64) }).opts);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toBe(`--state-schema: "${'s'.repeat(64)}" is not a usable schema name`);
    expect((e as UsageError).toJSON()).toMatchObject({ error: 'UsageError', value: 's'.repeat(64), fix: expect.stringContaining('1 to 63 bytes') });
  });
});

describe('Function: connectTarget', () => {
  it("refuses a bad --database-url under the flag's name, password masked, before any connection", async () => {
    const e = await connectTarget(contextWith({ databaseUrl: 'mysql://u:hunter2secret@h/db' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe('--database-url: unsupported scheme "mysql:" in mysql://u:****@h/db');
  });
});
