/** Resolve after `ms` milliseconds (retry backoff, polling). */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
