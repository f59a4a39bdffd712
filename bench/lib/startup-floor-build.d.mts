/** Bundles bench/lib/startup-floor.cjs with `pg` into `outfile`; resolves to `outfile`. */
export function buildStartupFloor(outfile: string): Promise<string>;
