/**
 * The drivers the engine's integration suite runs on. Each entry turns a
 * PostgreSQL URL into a Driver; every `describe.each(driverCases())` block
 * runs once per (server version × driver).
 */
import type { Driver } from '../../lambda/driver/driver';
import { PgDriver } from '../../lambda/driver/pg-driver';
import { targets } from './db';
import type { Target } from './targets';

export interface DriverKind {
  name: string;
  make(url: string): Driver;
}

export const driverKinds: DriverKind[] = [
  { name: 'pg', make: (url) => new PgDriver({ connectionString: url }) },
];

export interface DriverCase {
  /** e.g. "PostgreSQL 18 (embedded) / pg". */
  name: string;
  target: Target;
  driver: DriverKind;
}

export function driverCases(): DriverCase[] {
  return targets.flatMap((target) => driverKinds.map((driver) => ({ name: `${target.name} / ${driver.name}`, target, driver })));
}
