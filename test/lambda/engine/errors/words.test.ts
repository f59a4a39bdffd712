import { describe, expect, it } from 'vitest';
import { andList, firstFew, noun, oneOrMany, orList, plural, theOneOrAll, verb } from '../../../../lambda/engine/errors/words';

describe('the grammar of messages by number', () => {
  it('counts a noun, with an s or its own plural', () => {
    expect([plural(0, 'file'), plural(1, 'file'), plural(2, 'file')]).toEqual(['0 files', '1 file', '2 files']);
    expect([plural(1, 'directory', 'directories'), plural(3, 'directory', 'directories')]).toEqual(['1 directory', '3 directories']);
    expect([noun(1, 'schema'), noun(2, 'schema')]).toEqual(['schema', 'schemas']);
  });

  it('agrees a verb and a pronoun with the number', () => {
    expect([verb(1, 'stay'), verb(2, 'stay'), verb(0, 'keep')]).toEqual(['stays', 'stay', 'keep']);
    expect([oneOrMany(1, 'it', 'them'), oneOrMany(4, 'it', 'them')]).toEqual(['it', 'them']);
  });

  it('lists with or and and', () => {
    expect([orList(['a']), orList(['a', 'b']), orList(['a', 'b', 'c'])]).toEqual(['a', 'a or b', 'a, b or c']);
    expect([andList([]), andList(['a']), andList(['a', 'b', 'c'])]).toEqual(['', 'a', 'a, b and c']);
  });

  it('shows a few and counts the rest, and says every one of n', () => {
    expect([firstFew([], 3), firstFew(['a', 'b', 'c'], 3), firstFew(['a', 'b', 'c', 'd', 'e'], 3)]).toEqual(['', 'a, b, c', 'a, b, c and 2 more']);
    expect([theOneOrAll(1, 'file'), theOneOrAll(4, 'file')]).toEqual(['the 1 file', 'all 4 files']);
  });
});
