export const DEV_ONLY_FIELDS: string[];
export function publishedManifest(manifest: Record<string, unknown>): Record<string, unknown>;
export function strip(root: string): void;
export function refusePublishMessage(manifest: { name: string; version: string }): string;
export const REFUSE_PACK_MESSAGE: string;
