import { execFileSync } from 'node:child_process';
import { generateMigrations } from './lib/generate';
import { createDatabase, startBenchServer } from './lib/server';
import { measuredEnv } from './lib/proc';
const s = await startBenchServer();
const { dir } = generateMigrations(300);
const env = measuredEnv();
for (let i = 0; i < 4; i++) {
  const db = await createDatabase(s.adminUrl, 'prof' + i);
  const t = Date.now();
  execFileSync(
    process.execPath,
    [
      ...(i === 3 ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--cpu-prof-interval=100'] : []),
      'bin/schemaguard.cjs',
      'migrate',
      '--database-url',
      db.url,
      '--dir',
      dir,
      '--quiet',
    ],
    { env, stdio: 'inherit' },
  );
  console.log('run', i, Date.now() - t, 'ms');
}
await s.stop();
