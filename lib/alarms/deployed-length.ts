/**
 * How long a description is once deployed. Synth renders a value known only
 * at deploy time (an instance identifier CloudFormation names, a database
 * name from a parameter) as a token, `${Token[NAME.123]}`, about 20
 * characters; deployed, it is the value, up to its own maximum (63 for an RDS
 * identifier). CloudWatch counts the characters of that resolved string, so a
 * description fitted to its 1,024 characters with the token counted as its
 * placeholder failed at deploy time, after synth passed it. Plain string
 * functions (no aws-cdk-lib), like the catalogs that use them.
 */

/** A CDK token inside a string (aws-cdk-lib's string token markers and key characters). */
const STRING_TOKEN = /\$\{Token\[[a-zA-Z0-9:._-]+\]\}/g;

/** The tokens in `text`, each once, in order. */
export function stringTokens(text: string): string[] {
  return [...new Set(text.match(STRING_TOKEN) ?? [])];
}

/**
 * The length of `text` once deployed: its characters (UTF-16 code units,
 * never fewer than CloudWatch's characters), each token counted at the
 * longest value it can resolve to, from `tokenMaxLengths` (by the token's
 * text). Throws for a token not listed there: its length is unknown, and
 * counting it as its placeholder is what let descriptions overflow.
 */
export function deployedLength(text: string, tokenMaxLengths: Readonly<Record<string, number>> = {}): number {
  let length = text.length;
  for (const token of text.match(STRING_TOKEN) ?? []) {
    const longest = tokenMaxLengths[token];
    if (longest === undefined) {
      throw new Error(`the description holds a value known only at deploy time (${token}) whose longest length is not given; name its maximum in "tokenMaxLengths" (e.g. 63 for an RDS instance identifier)`);
    }
    length += longest - token.length;
  }
  return length;
}
