export function packedFiles(root: string): Promise<string[]>;
export function stage(root: string, files: readonly string[], staging: string): void;
export function packStaged(root: string, args?: readonly string[]): Promise<number>;
