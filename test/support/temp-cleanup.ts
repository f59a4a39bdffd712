/** Runs in every test file (vitest setupFiles): its temporary directories go once its tests are done. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './files';

afterAll(removeTempDirs);
