/** Runners racing on one database through the Data API driver, in this process (test/support/race.ts). */
import { describeRaces } from '../../../support/race';

describeRaces('data-api', 'in-process');
