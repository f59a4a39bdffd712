/**
 * The parse SchemaMigrations runs at synth (lib/synth-parse.ts), as a child
 * process: bundled to dist/synth-parse.cjs, it reads one JSON request
 * (`FilesToParse`: the migrations and contracts directories) from stdin,
 * parses every file with PostgreSQL's parser (lambda/checks/parse-files.ts)
 * and writes `{ "refusals": [ … ] }` to stdout. A child process because the
 * parser loads asynchronously and a construct's constructor is synchronous.
 * Exit 0 when it could parse (refused files are in the answer), 1 when it
 * could not (the parser is missing, the request is not JSON): the reason on
 * stderr.
 */
import { parseDeployFiles, type FilesToParse } from '../lambda/checks/deploy/parse-files';

async function readStdin(): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of process.stdin) pieces.push(piece as Buffer);
  return Buffer.concat(pieces).toString('utf8');
}

async function main(): Promise<void> {
  const request = JSON.parse(await readStdin()) as FilesToParse;
  const refusals = await parseDeployFiles(request);
  process.stdout.write(`${JSON.stringify({ refusals })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
