/**
 * The directive reader: `-- schemaguard:<name><argument>` comments on a line of
 * their own, outside strings and bodies (the splitter's top-level comments).
 * It only finds them: the migration loader (`../files/source.ts`) refuses a bad
 * one, lint (`lambda/checks/lint/source.ts`) reads leniently.
 */
import type { LineComment } from './splitter';

export interface Directive {
  /** Lower-cased name after `schemaguard:` (`no-transaction`, `lock-timeout`, `valid-checksum`, `check`, `allow`, `backfill` …). */
  name: string;
  /** Everything after the name, as written (`=5s`, ` every id has a default`). */
  argument: string;
  line: number;
  /** The whole comment, from its `--`. */
  text: string;
  /**
   * Written almost as a directive, but not read as one: a known name after
   * `schemaguard` in another case, or with a space before or after the colon
   * (`-- schemaguard: check …`, `-- SchemaGuard:no-transaction`). The loader
   * refuses it: taken for a plain comment, a check would silently not run.
   */
  nearMiss?: { canonical: string };
}

const DIRECTIVE_LINE = /^[ \t]*--[ \t]*schemaguard:([A-Za-z-]+)(.*)$/;
const NEAR_MISS_LINE = /^[ \t]*--[ \t]*schemaguard[ \t]*:[ \t]*([A-Za-z-]+)(.*)$/i;

/** The directives the loader knows. */
export const DIRECTIVE_NAMES = [
  'no-transaction',
  'lock-timeout',
  'statement-timeout',
  'valid-checksum',
  'replication-planned',
  'after-backfill',
  'check',
  'allow',
  'backfill',
];

/** How each directive is written, for the message that refuses an unknown one. */
export const DIRECTIVE_FORMS =
  'no-transaction, lock-timeout=<duration>, statement-timeout=<duration>, valid-checksum <sha-256>, replication-planned <reason>, after-backfill <file>, check <description>, allow <rule> <reason>, backfill (before an UPDATE)';

/**
 * The directives among `comments`, in order. A directive after code on the
 * same line is not one. A comment that spells a known directive's name after
 * `schemaguard` another way is returned with `nearMiss`; other prose after
 * `schemaguard:` with a space is a comment.
 */
export function readDirectives(comments: readonly LineComment[]): Directive[] {
  const out: Directive[] = [];
  for (const c of comments) {
    if (!c.ownLine) continue;
    const d = DIRECTIVE_LINE.exec(c.text);
    if (d) {
      out.push({ name: d[1].toLowerCase(), argument: d[2], line: c.line, text: c.text });
      continue;
    }
    const near = NEAR_MISS_LINE.exec(c.text);
    const name = near?.[1]?.toLowerCase();
    if (near && name && DIRECTIVE_NAMES.includes(name)) {
      out.push({
        name,
        argument: near[2],
        line: c.line,
        text: c.text,
        nearMiss: { canonical: `-- schemaguard:${name}${near[2].trimEnd()}` },
      });
    }
  }
  return out;
}

/** The rule and reason of `-- schemaguard:allow <rule> <reason>`, or undefined when either is missing. */
export function allowArgument(argument: string): { rule: string; reason: string } | undefined {
  const a = /^\s+(\S+)\s+(\S.*)$/.exec(argument);
  return a ? { rule: shared(a[1]), reason: shared(a[2].trim()) } : undefined;
}

/** Texts seen in allow directives, each kept once: a part of a line keeps its whole comment alive. */
const SHARED = new Map<string, string>();
const SHARED_MAX = 1000;

/**
 * One string for each text that comes again: a file with the same allow
 * before each of 200,000 statements keeps one rule and one reason, not a
 * comment per directive (about 40 MB). A few texts only, at most `SHARED_MAX`.
 */
function shared(text: string): string {
  const known = SHARED.get(text);
  if (known !== undefined) return known;
  if (SHARED.size < SHARED_MAX) SHARED.set(text, text);
  return text;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The checksum of `-- schemaguard:valid-checksum <sha-256>` (64 lower-case hex digits), or undefined when the argument is not exactly one. */
export function checksumArgument(argument: string): string | undefined {
  const sum = argument.trim();
  return SHA256_HEX.test(sum) ? sum : undefined;
}

/** The file name of `-- schemaguard:after-backfill <file>` (one `<version>_<name>.sql`), or undefined when the argument is not exactly one. */
export function afterBackfillArgument(argument: string): string | undefined {
  const file = argument.trim();
  return /^\s/.test(argument) && /^\d+_[A-Za-z0-9][A-Za-z0-9_.-]*\.sql$/.test(file) ? file : undefined;
}
