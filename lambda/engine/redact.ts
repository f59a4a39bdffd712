/**
 * Secrets never reach a log line, an error message or a response: every text
 * that leaves the engine goes through a Redactor that knows the password(s)
 * in play, and URLs are shown with their password masked.
 */
export const MASK = '****';

/** `postgres://u:secret@h/db` → `postgres://u:****@h/db`; also masks `password=` parameters. */
export function maskUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s]*)(@)/i, (_m, a: string, _p: string, c: string) => `${a}${MASK}${c}`);
  // Without "scheme://" (`user:password@host/db`, a common slip) a URL parser
  // reads the user as the scheme: mask the part between the first ':' and the last '@'.
  if (!out.includes('://')) out = out.replace(/^([^:/?#@\s]*:)([^\s]*)(@[^@\s]*)$/, (_m, a: string, _p: string, c: string) => `${a}${MASK}${c}`);
  out = out.replace(/([?&]password=)[^&\s]*/gi, `$1${MASK}`);
  return out;
}

/**
 * A URL inside a text. The scheme is bounded (real ones are short): an
 * unbounded `[a-z0-9+.-]*` retried at every letter of a long run of letters
 * and digits (a 100 KB error detail) took quadratic time.
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

  /** Mask every registered secret and every URL password in `text`. */
  redact(text: string): string {
    let out = text.replace(URL_IN_TEXT, (u) => maskUrl(u));
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(s).join(MASK);
    }
    return out;
  }

  /** Redact every string inside a JSON-like value. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = /password|secret/i.test(k) && typeof v === 'string' ? MASK : this.redactValue(v);
      }
      return out as T;
    }
    return value;
  }
}
