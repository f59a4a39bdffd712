/**
 * Bad input gathered instead of thrown at the first: the file parser, the
 * loader and lint go on past a refusal, so that one run names every problem
 * of the files (a pg_dump file has several at once). Only refusals after
 * which the rest of the file still reads as it would have are gathered; one
 * that leaves the rest unreadable (a string left open) ends the file.
 */
import { InputError, InputProblemsError } from './errors';
import { get } from './present';

/** How many problems are kept, at most (the others are counted): bounds the memory a file of thousands of them takes. */
const KEPT = 1000;

export class InputProblems {
  private readonly kept: InputError[] = [];
  private count = 0;

  /** A problem; an InputProblemsError adds each of its own. */
  add(e: InputError): void {
    if (!(e instanceof InputProblemsError)) {
      this.count++;
      if (this.kept.length < KEPT) this.kept.push(e);
      return;
    }
    for (const p of e.problems) this.add(p);
    this.count += e.total - e.problems.length;
  }

  /** `step`'s result, or undefined once the InputError it threw is added (any other error is thrown on). */
  attempt<T>(step: () => T): T | undefined {
    try {
      return step();
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.add(e);
      return undefined;
    }
  }

  /** `n` more problems, counted and not kept (a caller that bounds its own list: "and N more"). */
  countMore(n: number): void {
    this.count += n;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** Throws what was gathered: one problem as itself, several as one InputProblemsError, in order of file (as first met) and line. */
  throwIfAny(): void {
    if (this.count === 0) return;
    if (this.count === 1) throw this.kept[0];
    const files = new Map<string | undefined, number>();
    for (const p of this.kept) if (!files.has(p.file)) files.set(p.file, files.size);
    const ordered = this.kept
      .map((p, k) => ({ p, k }))
      .sort((a, b) => get(files, a.p.file) - get(files, b.p.file) || (a.p.line ?? 0) - (b.p.line ?? 0) || a.k - b.k)
      .map((x) => x.p);
    throw new InputProblemsError(ordered, this.count);
  }
}
