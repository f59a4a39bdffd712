import { App, CfnParameter, Fn, Stack, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { deployedLength, listTokens, NUMBER_TOKEN_MAX_LENGTH, numberTokens, stringTokens } from '../../../lib/alarms/deployed-length';

describe('Module: deployed-length', () => {
  const identifier = Token.asString({ resolve: () => 'orders-db' });
  const name = Token.asString({ resolve: () => 'app' }, { displayHint: 'Db.Name' });

  it('stringTokens: each token of a string once, in order (also one with a display hint)', () => {
    expect(stringTokens(`${identifier}/${name} on ${identifier}`)).toEqual([identifier, name]);
    expect(stringTokens('plain text, ${not a token}')).toEqual([]);
  });

  it('deployedLength: the characters, each token at its longest value rather than its placeholder', () => {
    const text = `on ${identifier}/${name}:\nend`;
    expect(identifier.length).toBeLessThan(63);
    expect(deployedLength(text, { [identifier]: 63, [name]: 63 })).toBe('on '.length + 63 + 1 + 63 + ':\nend'.length);
    expect(deployedLength('a\nb"c')).toBe(5);
  });

  it('deployedLength: refuses a token whose longest value is not given (counting it as its placeholder let descriptions overflow)', () => {
    expect(() => deployedLength(`on ${identifier}/${name}`, { [identifier]: 63 })).toThrow(
      `the description holds a value known only at deploy time (${name}) whose longest length is not given; name its maximum in "tokenMaxLengths"`,
    );
  });

  describe('numbers and lists known only at deploy time', () => {
    const stack = new Stack(new App(), 'Tokens');
    const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
    const zones = new CfnParameter(stack, 'Zones', { type: 'CommaDelimitedList' }).valueAsList;

    it('numberTokens and listTokens: each once, in order, as a string prints them; stringTokens finds neither', () => {
      const text = `on ${identifier}:${port} in ${zones} (${port})`;
      expect(numberTokens(text)).toEqual([String(port)]);
      expect(listTokens(text)).toEqual([String(zones)]);
      expect(stringTokens(text)).toEqual([identifier]);
      expect(numberTokens('port 5432, -1.5e+289')).toEqual([]);
    });

    it('NUMBER_TOKEN_MAX_LENGTH is the longest a number prints as', () => {
      const longest = [
        -0.0000012345678901234567,
        -1.7976931348623157e308,
        -2.2250738585072014e-308,
        -123456789012345680000,
        Number.MIN_VALUE,
        -Number.MAX_SAFE_INTEGER,
      ];
      expect(Math.max(...longest.map((n) => String(n).length))).toBe(NUMBER_TOKEN_MAX_LENGTH);
    });

    // Regression: a number token was counted as its placeholder (-1.8881545897087526e+289: 22 to 24 characters), a list token as its 18.
    it('deployedLength: a number token counts as the longest a number prints as, or as long as tokenMaxLengths says (keyed by String(n))', () => {
      const text = `port ${port}.`;
      expect(String(port).length).toBeLessThan(NUMBER_TOKEN_MAX_LENGTH);
      expect(deployedLength(text)).toBe('port .'.length + NUMBER_TOKEN_MAX_LENGTH);
      expect(deployedLength(text, { [port]: 5 })).toBe('port .'.length + 5);
      expect(deployedLength(`${port}/${port}`)).toBe(1 + 2 * NUMBER_TOKEN_MAX_LENGTH);
    });

    it('deployedLength: refuses a list token (CloudFormation cannot put a list into a description), naming it and the fix; takes it joined, at the length given', () => {
      expect(() => deployedLength(`zones ${zones}`)).toThrow(
        `the description holds a list known only at deploy time (${String(zones)}), which CloudFormation cannot put into a description ` +
          '(synth would stop on it: "encoded list token string in a scalar string context"); join it into a string first: Fn.join(\', \', list), and name the joined value\'s longest length in "tokenMaxLengths"',
      );
      const joined = Fn.join(', ', zones);
      expect(deployedLength(`zones ${joined}`, { [joined]: 100 })).toBe('zones '.length + 100);
    });
  });
});
