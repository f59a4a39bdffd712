/**
 * One fresh process of `bench/startup-parts.ts`: reads the migrations of
 * argv[2] as `migrate` does (read, validated, hashed; parsing deferred), then
 * parses every one, each timed here, cold; then both again, warm. Prints one
 * JSON object.
 */
import { loadMigrations, parseNow } from '../../lambda/engine/files/source';

const dir = process.argv[2]!;
const timed = (fn: () => void) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};
let files: ReturnType<typeof loadMigrations> = [];
const coldRead = timed(() => {
  files = loadMigrations(dir, { deferParse: true });
});
const coldParse = timed(() => {
  for (const m of files) parseNow(m);
});
const warmRead = timed(() => {
  files = loadMigrations(dir, { deferParse: true });
});
const warmParse = timed(() => {
  for (const m of files) parseNow(m);
});
process.stdout.write(
  `${JSON.stringify({ files: files.length, cold_read_ms: coldRead, cold_parse_ms: coldParse, warm_read_ms: warmRead, warm_parse_ms: warmParse })}\n`,
);
