/** Runners racing on one database through the Data API driver, each a process of its own (test/support/race.ts). */
import { describeRaces } from '../../../support/race';

describeRaces('data-api', 'processes');
