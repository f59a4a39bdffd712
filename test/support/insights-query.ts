/**
 * Runs the subset of the CloudWatch Logs Insights query language that the
 * schemaguard saved queries use, over log events in memory, so tests can run
 * the very query strings of the template against real PostgreSQL log lines.
 * Reference: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
 *
 * Supported commands: fields, filter, parse <field> /regex/ (named groups),
 * stats count(*) as <name> by <fields>, sort <field> asc|desc, limit, display.
 * Filter expressions: `<field> like /re/`, `<field> not like /re/`,
 * `<field> = "text"`, `<field> in ["a", "b"]`, `ispresent(<field>)`, `and`,
 * `or`, parentheses. Regexes use JavaScript syntax, which agrees with
 * Insights' for what the queries use (named groups, classes, anchors).
 * Anything else throws, so an unsupported construct cannot pass silently.
 */

export type Row = Record<string, string | number | undefined>;

type Token = { kind: 'regex' | 'string' | 'word' | 'punct'; value: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const prev = () => out[out.length - 1];
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '/' && (prev()?.value === 'like' || (out.length >= 2 && out[out.length - 2]?.value === 'parse'))) {
      let j = i + 1;
      let body = '';
      while (j < text.length && text[j] !== '/') {
        if (text[j] === '\\' && j + 1 < text.length) {
          body += text[j]! + text[j + 1]!;
          j += 2;
          continue;
        }
        body += text[j];
        j++;
      }
      if (j >= text.length) throw new Error(`unterminated regex at ${i}: ${text.slice(i, i + 40)}`);
      out.push({ kind: 'regex', value: body });
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      const j = text.indexOf('"', i + 1);
      if (j < 0) throw new Error(`unterminated string at ${i}`);
      out.push({ kind: 'string', value: text.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if ('|(),[]=*'.includes(ch)) {
      out.push({ kind: 'punct', value: ch });
      i++;
      continue;
    }
    const m = /^[@A-Za-z_][\w.@]*|^\d+/.exec(text.slice(i));
    if (!m) throw new Error(`unexpected character ${JSON.stringify(ch)} at ${i}: ${text.slice(i, i + 40)}`);
    out.push({ kind: 'word', value: m[0] });
    i += m[0].length;
  }
  return out;
}

type Expr = (row: Row) => boolean;

class Parser {
  private i = 0;
  constructor(private readonly t: Token[]) {}
  peek(): Token | undefined {
    return this.t[this.i];
  }
  next(): Token {
    const tok = this.t[this.i++];
    if (!tok) throw new Error('unexpected end of query');
    return tok;
  }
  expect(value: string): void {
    const tok = this.next();
    if (tok.value !== value) throw new Error(`expected ${value}, got ${tok.value}`);
  }
  atCommandEnd(): boolean {
    const p = this.peek();
    return !p || (p.kind === 'punct' && p.value === '|');
  }
  words(): string[] {
    const out: string[] = [];
    while (!this.atCommandEnd()) {
      const tok = this.next();
      if (tok.value !== ',') out.push(tok.value);
    }
    return out;
  }
  or(): Expr {
    let left = this.and();
    while (this.peek()?.value === 'or') {
      this.next();
      const l = left;
      const r = this.and();
      left = (row) => l(row) || r(row);
    }
    return left;
  }
  and(): Expr {
    let left = this.primary();
    while (this.peek()?.value === 'and') {
      this.next();
      const l = left;
      const r = this.primary();
      left = (row) => l(row) && r(row);
    }
    return left;
  }
  primary(): Expr {
    const tok = this.next();
    if (tok.value === '(') {
      const e = this.or();
      this.expect(')');
      return e;
    }
    if (tok.value === 'ispresent') {
      this.expect('(');
      const f = this.next().value;
      this.expect(')');
      return (row) => row[f] !== undefined && row[f] !== '';
    }
    if (tok.kind !== 'word') throw new Error(`expected a field, got ${tok.value}`);
    const field = tok.value;
    const op = this.next();
    if (op.value === 'like' || op.value === 'not') {
      if (op.value === 'not') this.expect('like');
      const re = this.next();
      if (re.kind !== 'regex') throw new Error(`like needs a /regex/, got ${re.value}`);
      const rx = new RegExp(re.value);
      const negate = op.value === 'not';
      return (row) => {
        const v = row[field];
        const hit = v !== undefined && rx.test(String(v));
        return negate ? !hit : hit;
      };
    }
    if (op.value === '=') {
      const v = this.next();
      if (v.kind !== 'string') throw new Error(`= needs a "string", got ${v.value}`);
      return (row) => row[field] === v.value;
    }
    if (op.value === 'in') {
      this.expect('[');
      const values: string[] = [];
      for (let tk = this.next(); tk.value !== ']'; tk = this.next()) if (tk.kind === 'string') values.push(tk.value);
      return (row) => values.includes(String(row[field]));
    }
    throw new Error(`unsupported operator ${op.value}`);
  }
}

/** Runs `query` over events in log order (each event's text as @message, its position as @timestamp). */
export function runInsightsQuery(query: string, messages: string[]): Row[] {
  const p = new Parser(tokenize(query));
  let rows: Row[] = messages.map((m, i) => ({ '@message': m, '@timestamp': i }));
  let display: string[] | undefined;
  while (p.peek()) {
    const cmd = p.next().value;
    switch (cmd) {
      case 'fields':
        p.words();
        break;
      // display chooses the output fields only; later commands still see every field.
      case 'display':
        display = p.words();
        break;
      case 'filter': {
        const e = p.or();
        rows = rows.filter(e);
        break;
      }
      case 'parse': {
        const field = p.next().value;
        const re = p.next();
        if (re.kind !== 'regex') throw new Error('parse needs a /regex/');
        const rx = new RegExp(re.value);
        rows = rows.map((r) => ({ ...r, ...(rx.exec(String(r[field] ?? ''))?.groups ?? {}) }));
        break;
      }
      case 'stats': {
        p.expect('count');
        p.expect('(');
        p.expect('*');
        p.expect(')');
        p.expect('as');
        const name = p.next().value;
        p.expect('by');
        const by = p.words();
        const groups = new Map<string, Row>();
        for (const r of rows) {
          const key = JSON.stringify(by.map((b) => r[b]));
          const g = groups.get(key) ?? Object.fromEntries([...by.map((b) => [b, r[b]]), [name, 0]]);
          g[name] = Number(g[name]) + 1;
          groups.set(key, g);
        }
        rows = [...groups.values()];
        break;
      }
      case 'sort': {
        const field = p.next().value;
        const dir = p.atCommandEnd() ? 'asc' : p.next().value;
        const sign = dir === 'desc' ? -1 : 1;
        rows = rows
          .map((r, i) => [r, i] as const)
          .sort(([a, ia], [b, ib]) => {
            const x = a[field];
            const y = b[field];
            if (x === y) return ia - ib;
            return (x === undefined ? -1 : y === undefined ? 1 : x < y ? -1 : 1) * sign;
          })
          .map(([r]) => r);
        break;
      }
      case 'limit':
        rows = rows.slice(0, Number(p.next().value));
        break;
      default:
        throw new Error(`unsupported command ${cmd}`);
    }
    if (p.peek()) p.expect('|');
  }
  return display ? rows.map((r) => Object.fromEntries(display!.map((k) => [k, r[k]]))) : rows;
}
