/**
 * `cdk synth --no-notices` wall time on a fresh checkout: the CDK app is
 * copied (git-tracked files only) into a clean directory that shares this
 * checkout's node_modules, so no cdk.out or asset cache exists and bundling
 * runs in full. Not measured when the CDK app (bin/app.ts, cdk.json) is absent.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './apply';
import { mustSucceed, timeProcess } from './lib/proc';
import { median, round } from './lib/stats';

export interface SynthResult {
  measured: boolean;
  note?: string;
  synth_ms: number | null;
  samples: number[];
}

export async function benchSynth(o: { runs: number }): Promise<SynthResult> {
  if (!existsSync(join(ROOT, 'bin', 'app.ts')) || !existsSync(join(ROOT, 'cdk.json'))) {
    return { measured: false, note: 'not measured: the CDK app (bin/app.ts, cdk.json) is not in this checkout', synth_ms: null, samples: [] };
  }
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT }).toString().split('\n').filter(Boolean);
  const samples: number[] = [];
  for (let run = 0; run < o.runs; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-synth-'));
    try {
      for (const f of files) {
        // A node_modules that is a symlink (a git worktree's) is not a directory to .gitignore's `node_modules/`: it is linked below.
        if (f === 'node_modules' || !existsSync(join(ROOT, f))) continue;
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        cpSync(join(ROOT, f), join(dir, f));
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const cdk = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
      const r = mustSucceed('cdk synth', await timeProcess(process.execPath, [cdk, 'synth', '--no-notices', '--quiet'], { cwd: dir, timeoutMs: 600_000 }));
      samples.push(r.ms);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { measured: true, synth_ms: round(median(samples)), samples: samples.map((x) => round(x)) };
}
