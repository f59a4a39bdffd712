/**
 * Errors of the command line itself. The engine's errors name no flag: a
 * value the engine refuses is named by its caller, here as the flag it came
 * from.
 */
import { InputError, type MigrationErrorOptions } from '../../lambda/engine/errors/errors';

/** A command-line usage error (unknown flag, bad duration). Exit code 2. */
export class UsageError extends InputError {
  constructor(message: string, options: MigrationErrorOptions & { value?: string } = {}) {
    super(message, options);
    this.name = 'UsageError';
  }
}
