// Preloaded into a CLI process by tests (node --require): its clock stands at SCHEMAGUARD_TEST_NOW (epoch ms),
// so an IAM token it signs is the one the test signs for that instant. Timers still run.
const fixed = Number(process.env.SCHEMAGUARD_TEST_NOW);
if (Number.isFinite(fixed)) {
  const RealDate = Date;
  class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fixed);
      else super(...args);
    }
    static now() { return fixed; }
  }
  globalThis.Date = FixedDate;
}
