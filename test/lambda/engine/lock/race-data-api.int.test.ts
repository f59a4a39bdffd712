/** Runners racing on one database through the Data API driver: processes and in-process runners (test/support/race.ts). */
import { describeRaces } from '../../../support/race';

describeRaces('data-api');
