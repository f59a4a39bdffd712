/** Runners racing on one database through the pg driver: CLI processes and in-process runners (test/support/race.ts). */
import { describeRaces } from '../../../support/race';

describeRaces('pg');
