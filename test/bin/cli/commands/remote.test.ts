/**
 * What `--function` sends: the flags of the operator protocol as written on a
 * command line (a duration in ms, --json as --format json), and the flags
 * that name local files or a database refused before anything is invoked.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../../bin/cli/args';
import { main } from '../../../../bin/cli/main';
import { requestFlags } from '../../../../bin/cli/commands/remote';
import { OPERATOR_FLAGS } from '../../../../lambda/handler/operator-protocol';

describe('Function: requestFlags', () => {
  it('sends the given protocol flags as written, --json as --format json, and never --function or --actor', () => {
    const opts = parseArgs(['baseline', '3', '--json', '--reason', 'adopt it', '--lock-wait', '2s', '--function', 'fn', '--actor', 'bob'], {});
    expect(requestFlags(opts)).toEqual({ '--reason': 'adopt it', '--lock-wait': '2000ms', '--format': 'json' });
    expect(requestFlags(parseArgs(['status', '--exit-code', '--quiet', '--function', 'fn'], {}))).toEqual({ '--exit-code': true, '--quiet': true });
    expect(requestFlags(parseArgs(['plan', '--warn-rows', '5_000', '--format', 'sarif', '--function', 'fn'], {}))).toEqual({
      '--warn-rows': '5000',
      '--format': 'sarif',
    });
  });

  it.each(['--dir', '--database-url', '--state-schema', '--cluster-arn', '--contracts', '--snapshot'])('refuses %s: the function has its own', (flag) => {
    // guard takes every one of them locally (the parser refuses a flag the command never takes, before this).
    const opts = parseArgs(['guard', flag, 'x', '--function', 'fn'], {});
    expect(() => requestFlags(opts)).toThrow(`${flag} is for a local run: with --function, the function uses its own files, database and state schema`);
  });

  it('every flag the protocol lets through is a CLI flag', async () => {
    const { FLAGS } = await import('../../../../bin/cli/args');
    expect(OPERATOR_FLAGS.filter((f) => !(f in FLAGS))).toEqual([]);
  });
});

describe('CLI: --function and --actor, refused before anything is invoked', () => {
  it.each([
    [['migrate', '--function', 'fn'], /migrate does not use --function[\s\S]*it is for status, plan, diff, guard, doctor, baseline or repair/],
    [['status', '--actor', 'bob'], /--actor names who asks the deployed function, and --function is not given/],
  ])('%j: exit 2', async (argv, message) => {
    const out: string[] = [];
    const code = await main(argv, { out: (t) => out.push(t), err: (t) => out.push(t), env: {} });
    expect(code).toBe(2);
    expect(out.join('')).toMatch(message);
  });
});
