export const DEV_ONLY_FIELDS: string[];
export const BACKUP_NAME: string;
export function publishedManifest(manifest: Record<string, unknown>): Record<string, unknown>;
export function strip(root: string): void;
export function restore(root: string): boolean;
export function refusePublishMessage(manifest: { name: string; version: string }): string;
