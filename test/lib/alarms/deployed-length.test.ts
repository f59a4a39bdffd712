import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { deployedLength, stringTokens } from '../../../lib/alarms/deployed-length';

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
    expect(() => deployedLength(`on ${identifier}/${name}`, { [identifier]: 63 })).toThrow(`the description holds a value known only at deploy time (${name}) whose longest length is not given; name its maximum in "tokenMaxLengths"`);
  });
});
