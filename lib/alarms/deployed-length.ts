/**
 * How long a description is once deployed. Synth renders a value known only
 * at deploy time (an instance identifier CloudFormation names, a database
 * name from a parameter) as a token, `${Token[NAME.123]}`, about 20
 * characters; deployed, it is the value, up to its own maximum (63 for an RDS
 * identifier). CloudWatch counts the characters of that resolved string, so a
 * description fitted to its 1,024 characters with the token counted as its
 * placeholder failed at deploy time, after synth passed it. A number known
 * only at deploy time prints as a number token (`-1.8881545897087526e+289`),
 * and a list as a list token (`#{Token[TOKEN.12]}`); both were counted as
 * their placeholders too. Plain string functions (no aws-cdk-lib), like the
 * catalogs that use them.
 */

/** A CDK token inside a string (aws-cdk-lib's string token markers and key characters). */
const STRING_TOKEN = /\$\{Token\[[a-zA-Z0-9:._-]+\]\}/g;

/** A number token as a string prints it (aws-cdk-lib's STRINGIFIED_NUMBER_PATTERN, which its resolver matches too). */
const NUMBER_TOKEN = /-1\.\d{10,16}e\+289/g;

/** A list token as a string prints it (`${list}`, `list.join(…)`): aws-cdk-lib's list token markers. */
const LIST_TOKEN = /#\{Token\[[a-zA-Z0-9:._-]+\]\}/g;

/**
 * The longest a number prints as, which a number token is counted at unless
 * `tokenMaxLengths` gives its own maximum: 17 significant digits, the point,
 * up to 5 leading zeros and a sign (`-0.0000012345678901234567`, 25
 * characters; an exponent form, `-1.7976931348623157e+308`, has 24).
 */
export const NUMBER_TOKEN_MAX_LENGTH = 25;

const unique = (text: string, pattern: RegExp): string[] => [...new Set(text.match(pattern) ?? [])];

/** The string tokens in `text`, each once, in order. */
export function stringTokens(text: string): string[] {
  return unique(text, STRING_TOKEN);
}

/** The number tokens in `text`, each once, in order. */
export function numberTokens(text: string): string[] {
  return unique(text, NUMBER_TOKEN);
}

/** The list tokens in `text`, each once, in order. */
export function listTokens(text: string): string[] {
  return unique(text, LIST_TOKEN);
}

/** Why a list token cannot be in a description, and the fix (a caller that takes longest lengths adds where to give the joined value's). */
export function listTokenProblem(token: string): string {
  return (
    `a list known only at deploy time (${token}), which CloudFormation cannot put into a description (synth would stop on it: "encoded list token string in a scalar string context"); ` +
    "join it into a string first: Fn.join(', ', list)"
  );
}

/**
 * The length of `text` once deployed: its characters (UTF-16 code units,
 * never fewer than CloudWatch's characters), each token counted at the
 * longest value it can resolve to, from `tokenMaxLengths` (by the token's
 * text; `String(n)` for a number token n). A number token without an entry
 * counts NUMBER_TOKEN_MAX_LENGTH characters. Throws for a string token not
 * listed there (its length is unknown, and counting it as its placeholder is
 * what let descriptions overflow), and for a list token.
 */
export function deployedLength(text: string, tokenMaxLengths: Readonly<Record<string, number>> = {}): number {
  const list = listTokens(text)[0];
  if (list !== undefined) throw new Error(`the description holds ${listTokenProblem(list)}, and name the joined value's longest length in "tokenMaxLengths"`);
  let length = text.length;
  for (const token of text.match(STRING_TOKEN) ?? []) {
    const longest = tokenMaxLengths[token];
    if (longest === undefined) {
      throw new Error(
        `the description holds a value known only at deploy time (${token}) whose longest length is not given; name its maximum in "tokenMaxLengths" (e.g. 63 for an RDS instance identifier)`,
      );
    }
    length += longest - token.length;
  }
  for (const token of text.match(NUMBER_TOKEN) ?? []) length += (tokenMaxLengths[token] ?? NUMBER_TOKEN_MAX_LENGTH) - token.length;
  return length;
}
