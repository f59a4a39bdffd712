/**
 * Drift as guard findings: one finding per drifted object (all its
 * differences in one message), with its severity (`rules.ts`) and the
 * statement that undoes it (`drift-fixes.ts`). An index that is only INVALID
 * and a constraint that is only NOT VALID are left to their own findings
 * (`invalid-index`, `constraint-not-validated`), which decide their severity.
 */
import { compareCatalogs, isCommentDrift } from '../drift/drift';
import { formatDifferences, labelsOf, type Catalog, type Difference } from '../../schema/catalog';
import { driftFix } from './drift-fixes';
import type { GuardFinding } from './report';
import { GUARD_RULES, type GuardRule } from './rules';

export interface DriftContext {
  snapshot: Catalog;
  live: Catalog;
  /** Why the database is not at the snapshot's migrations (drift is then ticket), or undefined when it is. */
  unsettled?: string;
}

export function driftFindings(ctx: DriftContext): GuardFinding[] {
  const report = compareCatalogs(ctx.snapshot, ctx.live);
  // A schema made outside the migrations is no drift for diff or a deploy; here it is a ticket.
  const differences = [...report.differences.filter((d) => !coveredElsewhere(d)), ...report.ignored.filter((d) => d.kind === 'schema')];
  return groupByObject(differences).map((diffs) => {
    const rule = ruleOf(diffs);
    const unsettled = rule === GUARD_RULES.schemaDrift && ctx.unsettled;
    const message = formatDifferences(diffs, { a: 'snapshot', b: 'live' }).replace(/\n(\w+ \S+: )?/g, '; ');
    return {
      kind: 'drift',
      rule: rule.id,
      severity: unsettled ? 'ticket' : rule.severity,
      object: diffs[0].name,
      message: unsettled ? `${message} (ticket, not page: ${ctx.unsettled})` : message,
      why: rule.why,
      fix: driftFix(diffs, ctx.snapshot, ctx.live),
    };
  });
}

/** INVALID and NOT VALID alone are reported by their own rules. */
function coveredElsewhere(d: Difference): boolean {
  if (d.kind === 'index' && d.field === 'valid') return d.b === false;
  if (d.kind === 'constraint' && d.field === 'validated') return d.b === false;
  if (d.kind === 'constraint' && d.field === 'definition') return `${String(d.a)} NOT VALID` === d.b;
  return false;
}

function groupByObject(differences: readonly Difference[]): Difference[][] {
  const groups = new Map<string, Difference[]>();
  for (const d of differences) {
    const key = `${d.kind} ${d.name}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.values()];
}

/** An enum whose live labels are the snapshot's and more: values added by hand, which nothing written yet depends on. */
function onlyAddsLabels(d: Difference): boolean {
  if (d.kind !== 'type' || typeof d.a !== 'string' || typeof d.b !== 'string') return false;
  const live = labelsOf(d.b);
  return labelsOf(d.a).every((label) => live.includes(label));
}

/**
 * A replica identity set to FULL: what CDC tools (AWS DMS, Debezium) ask for
 * on tables they read; it logs more of each row and breaks nothing. NOTHING
 * or another index does (a published table refuses UPDATE and DELETE).
 */
function onlyWidensReplicaIdentity(d: Difference): boolean {
  return d.kind === 'table' && d.field === 'replicaIdentity' && d.b === 'full';
}

function ruleOf(diffs: readonly Difference[]): GuardRule {
  if (diffs[0].change === 'only-in-b' || diffs.every(onlyAddsLabels) || diffs.every(onlyWidensReplicaIdentity)) return GUARD_RULES.schemaAddition;
  if (diffs.every(isCommentDrift)) return GUARD_RULES.commentDrift;
  return GUARD_RULES.schemaDrift;
}
