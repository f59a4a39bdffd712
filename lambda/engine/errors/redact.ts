/**
 * Secrets never reach a log line, an error message or a response: every text
 * that leaves the engine goes through a Redactor that knows the password(s)
 * in play, and URLs are shown with their password masked.
 */
import { maskStatementSecrets, statementSecrets } from './statement-secrets';

export const MASK = '****';

/**
 * `postgres://u:secret@h/db` → `postgres://u:****@h/db`; also masks
 * `password=` parameters and keywords (`?password=…`, `host=h password=…`).
 * The user's part ends at the last `@`, as a URL parser reads it, and the
 * password starts at its first `:`: a password with an `@`, `/` or `?` that
 * was not percent-encoded is masked whole. (Without "scheme://" — `user:password@host/db`,
 * a common slip — the same holds from the first `:`.)
 */
export function maskUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  const colon = url.indexOf(':', scheme.length);
  const at = url.lastIndexOf('@');
  let out = url;
  // A space in between is masked too: a URL parser takes `postgres://u:my pass@h/db`.
  if (colon >= 0 && at > colon) out = `${url.slice(0, colon + 1)}${MASK}${url.slice(at)}`;
  // A value masked already, followed by the colon of a message (`…?password=****: password authentication failed`),
  // keeps that colon: the password pattern must not take it again.
  return out.replace(/(\bpassword\s*=\s*)(\*\*\*\*(?=:?(?:\s|$))|'(?:[^'\\]|\\.)*'|[^\s&]*)/gi, `$1${MASK}`);
}

/**
 * A URL without its path and query (where a webhook's routing key lives) and
 * with any user and password masked, for error messages:
 * `https://events.example.com/integration/KEY/enqueue` →
 * `https://events.example.com/...`.
 */
export function urlWithoutPath(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@]*@?[^/?#]*)/i.exec(url);
  return m ? `${m[1].replace(/\/\/[^@/]*@/, '//***@')}/...` : '<not a URL>';
}

/**
 * A URL inside a text. The scheme is bounded (real ones are short), so a long
 * run of letters and digits (a 100 KB error detail) is not quadratic.
 */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]{0,31}:\/\/[^\s'"]+/gi;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Register a secret; short strings are ignored so that masking stays meaningful. */
  add(secret: string | undefined | null): this {
    if (secret && secret.length >= 4) {
      this.secrets.add(secret);
      try {
        const enc = encodeURIComponent(secret);
        if (enc !== secret) this.secrets.add(enc);
      } catch {
        // not encodable: the raw form is enough
      }
    }
    return this;
  }

  /**
   * Register the passwords a SQL text holds (statement-secrets.ts): a literal
   * after PASSWORD, a connection string's password=, and with `words` (a
   * statement, not prose: "a password and none…") an unquoted word after
   * PASSWORD. The server repeats some of them in its message
   * (`syntax error at or near "S3cret"`).
   */
  learn(sql: string | undefined | null, options: { words?: boolean } = {}): this {
    for (const s of sql ? statementSecrets(sql, options) : []) {
      this.add(s);
      // As JSON.stringify writes it (a backslash or quote in an E'' literal), for text serialised already.
      const json = JSON.stringify(s).slice(1, -1);
      if (json !== s) this.add(json);
    }
    return this;
  }

  /** Mask every registered secret, every URL password and every password literal of a statement in `text`. */
  redact(text: string): string {
    let out = text.replace(URL_IN_TEXT, (u) => maskUrl(u));
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(s).join(MASK);
    }
    // After the secrets: a learned E'' literal's JSON form (S3cret\\'PW) is masked whole before the pattern would end it early.
    return maskStatementSecrets(out);
  }

  /** Redact every string inside a JSON-like value; its statements' passwords are learned first, wherever the server's message sits. */
  redactValue<T>(value: T): T {
    this.learnAll(value);
    return this.redactEach(value);
  }

  private learnAll(value: unknown): void {
    if (typeof value === 'string') this.learn(value);
    else if (Array.isArray(value)) for (const v of value) this.learnAll(v);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) this.learnAll(v);
  }

  private redactEach<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactEach(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = /password|secret/i.test(k) && typeof v === 'string' ? MASK : this.redactEach(v);
      }
      return out as T;
    }
    return value;
  }
}
