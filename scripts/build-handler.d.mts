export const HANDLER_TARGET: string;
export const HANDLER_ENTRY: string;
export const HANDLER_OUT_DIR: string;
export const PARSER_WASM: string;
export const SYNTH_PARSE_ENTRY: string;
export const SYNTH_PARSE_OUT: string;
export function buildHandler(): Promise<void>;
