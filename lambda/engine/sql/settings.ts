/**
 * What a statement sets in its session's settings, read from its tokens
 * (comments left out), so that the name quoted or in capitals, the value
 * quoted, a comment between or a cast change nothing:
 * `SET … {= | TO} …`, `set_config(…)` anywhere, `UPDATE pg_settings SET
 * setting = …` (the view's rule calls set_config), and each of them inside a
 * DO block's body, an EXECUTE's literal string included.
 *
 * A value that is not a literal is '?'. A name or a statement built at run
 * time (`format(…)`, `||`, a variable), a function defined here and called
 * later, or a DO block inside an EXECUTE's string is not seen.
 */
import { dollarTag, isComment, tokenize, type Token } from './lexer';

export interface SettingChange {
  /** The setting's name, lower-cased. */
  name: string;
  /** Its value as PostgreSQL reads it (a word lower-cased, a string unquoted), or '?' when it is not a literal. */
  value: string;
}

/** PL/pgSQL words a statement of a DO body can follow without a `;`. */
const BLOCK_WORDS = new Set(['begin', 'then', 'else', 'loop']);

/** The changes a statement's tokens make to the settings `names` (lower case), in order. */
export function settingChanges(tokens: readonly Token[], names: ReadonlySet<string>): SettingChange[] {
  const code = tokens.filter((t) => !isComment(t));
  const changes = [...setStatement(code, 0, names), ...calls(code, names)];
  if (word(code, 0) === 'do') {
    // The body: the literal that is not the LANGUAGE's name (DO LANGUAGE 'plpgsql' $$ … $$).
    const body = code.find((t, k) => (t.kind === 'string' || t.kind === 'dollar-string') && word(code, k - 1) !== 'language');
    const text = tokenValue(body);
    if (text !== undefined)
      changes.push(
        ...bodyChanges(
          tokenize(text).filter((t) => !isComment(t)),
          names,
        ),
      );
  }
  return changes;
}

/** In a DO body: a SET after `;` or a block word, the calls anywhere, and each literal string an EXECUTE runs. */
function bodyChanges(code: readonly Token[], names: ReadonlySet<string>): SettingChange[] {
  const changes = [...setStatement(code, 0, names), ...calls(code, names)];
  for (let k = 0; k < code.length; k++) {
    if (code[k].text === ';' || BLOCK_WORDS.has(word(code, k) ?? '')) changes.push(...setStatement(code, k + 1, names));
    const run = word(code, k) === 'execute' ? tokenValue(code[k + 1]) : undefined;
    if (run !== undefined && code[k + 1].kind !== 'word') {
      const ran = tokenize(run).filter((t) => !isComment(t));
      changes.push(...setStatement(ran, 0, names), ...calls(ran, names));
    }
  }
  return changes;
}

/** `SET [SESSION | LOCAL] <name> {= | TO} <value>` starting at `k`. */
function setStatement(code: readonly Token[], k: number, names: ReadonlySet<string>): SettingChange[] {
  if (word(code, k) !== 'set') return [];
  const at = word(code, k + 1) === 'session' || word(code, k + 1) === 'local' ? k + 2 : k + 1;
  const name = tokenValue(code[at])?.toLowerCase();
  if (name === undefined || !names.has(name)) return [];
  if (code[at + 1]?.text !== '=' && word(code, at + 1) !== 'to') return [];
  return [{ name, value: tokenValue(code[at + 2]) ?? '?' }];
}

/** The `set_config(…)` calls and `UPDATE pg_settings` statements anywhere in `code`. */
function calls(code: readonly Token[], names: ReadonlySet<string>): SettingChange[] {
  const changes: SettingChange[] = [];
  for (let k = 0; k < code.length; k++) {
    if (word(code, k) === 'set_config' && code[k + 1]?.text === '(') {
      const change = setConfig(code, k + 2, names);
      if (change) changes.push(change);
    }
    if (word(code, k) === 'update') changes.push(...pgSettingsUpdate(code, k + 1, names));
  }
  return changes;
}

/** The arguments of a set_config call from `k`. */
function setConfig(code: readonly Token[], k: number, names: ReadonlySet<string>): SettingChange | undefined {
  const [name, afterName] = argument(code, k);
  if (name === undefined || !names.has(name.toLowerCase()) || code[afterName]?.text !== ',') return undefined;
  const [value, afterValue] = argument(code, afterName + 1);
  return { name: name.toLowerCase(), value: value !== undefined && code[afterValue]?.text === ',' ? value : '?' };
}

/** `[pg_catalog.]pg_settings SET setting = <value> …` from `k` (after UPDATE), up to its `;`: a change of each setting it names in a literal. */
function pgSettingsUpdate(code: readonly Token[], k: number, names: ReadonlySet<string>): SettingChange[] {
  let at = k;
  if (tokenValue(code[at]) === 'pg_catalog' && code[at + 1]?.text === '.') at += 2;
  // A name, or the same name quoted ("pg_settings": quoted, only in lower case).
  if ((code[at]?.kind !== 'word' && code[at]?.kind !== 'quoted-identifier') || tokenValue(code[at]) !== 'pg_settings') return [];
  let end = at;
  while (end < code.length && code[end].text !== ';') end++;
  const set = code.findIndex((t, j) => j > at && j < end && t.kind === 'word' && t.text.toLowerCase() === 'set');
  const [value] = set > 0 && tokenValue(code[set + 1]) === 'setting' && code[set + 2]?.text === '=' ? argument(code, set + 3) : [undefined];
  const named = code
    .slice(at, end)
    .filter((t) => t.kind !== 'word')
    .map((t) => tokenValue(t)?.toLowerCase())
    .filter((n): n is string => n !== undefined && names.has(n));
  return [...new Set(named)].map((name) => ({ name, value: value ?? '?' }));
}

function word(code: readonly Token[], k: number): string | undefined {
  return code[k]?.kind === 'word' ? code[k].text.toLowerCase() : undefined;
}

/** A token's value as PostgreSQL reads a name or a setting: a word lower-cased, a quoted identifier or a string (plain, E'…' without escapes, or dollar-quoted) unquoted. */
export function tokenValue(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'word') return t.text.toLowerCase();
  if (t.kind === 'number') return t.text;
  if (t.kind === 'quoted-identifier') return t.text.slice(1, -1).replace(/""/g, '"');
  if (t.kind === 'string' && !/^[eE]/.test(t.text)) return t.text.slice(1, -1).replace(/''/g, "'");
  // E'…' without a backslash reads as the plain string.
  if (t.kind === 'string' && !t.text.includes('\\')) return t.text.slice(2, -1).replace(/''/g, "'");
  if (t.kind === 'dollar-string') return t.text.slice(dollarTag(t).length, t.text.length - dollarTag(t).length);
  return undefined;
}

/** A literal argument at `k` and the index after it (past a `::type` cast): [undefined, k] when it is not one literal. */
function argument(code: readonly Token[], k: number): [string | undefined, number] {
  const value = tokenValue(code[k]);
  if (value === undefined || code[k].kind === 'word') return [undefined, k];
  let next = k + 1;
  while (code[next]?.text === ':' && code[next + 1]?.text === ':' && code[next + 2]?.kind === 'word') next += 3;
  return [value, next];
}

/** Whether PostgreSQL's parse_bool reads `value` as true: a unique prefix of on, true or yes (any case), or 1. */
export function readsAsTrue(value: string): boolean {
  return /^(?:on|t|tr|tru|true|y|ye|yes|1)$/i.test(value.trim());
}
