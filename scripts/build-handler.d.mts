export const HANDLER_TARGET: string;
export const HANDLER_ENTRY: string;
export const HANDLER_OUT_DIR: string;
export const PARSER_WASM: string;
export function buildHandler(): Promise<void>;
