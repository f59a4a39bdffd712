/** The shapes of the pending-set model (`model.ts`): tables, columns, constraints, domains, functions. */
import type { Node, RangeVar } from '../parser/parse';
import type { FunctionSignature } from './volatility';

/** A function created by a migration: its argument types tell overloads apart for REPLACE, ALTER and DROP. */
export interface ModelFunction extends FunctionSignature {
  argTypes: string[];
}

export interface ColumnModel {
  /** As written, normalised (`typeNameText`); undefined when not known. */
  type?: string;
  notNull: boolean;
  /** Added by `ALTER TABLE … ADD COLUMN` in a pending migration: the application running before this run does not know it. */
  addedInPending?: boolean;
  /** A generated column: `s` stored (SET EXPRESSION rewrites the table), `v` virtual (PostgreSQL 18's default: it does not). */
  generated?: 's' | 'v';
  /**
   * Added to an existing table by a pending migration without a default (nor GENERATED, identity or a
   * domain with a default), and not written since by anything lint can see: NULL in every row, so
   * `WHERE col IS NULL` matches them all. Cleared by an UPDATE, MERGE or upsert of the table, a type change,
   * and by DO, CALL and SELECT (code lint cannot follow).
   */
  nullInEveryRow?: boolean;
  /**
   * PostgreSQL 18's `ADD CONSTRAINT name NOT NULL col NOT VALID`, not validated since: the constraint's name and
   * where it was added. PostgreSQL refuses a primary key on the column until it is validated (55000).
   */
  notNullNotValid?: { name: string; file: string; line: number; transactional: boolean; statement: string };
  /**
   * Declared by a statement lint read, without a DEFAULT, identity or generation expression, and given none
   * since (ALTER COLUMN … SET DEFAULT / ADD GENERATED clear it): what an ADD PRIMARY KEY of a uuid column
   * in pg_dump's form checks. Unset (not known) for a column read from the database.
   */
  noDefault?: boolean;
}

export type ConstraintKind = 'check' | 'foreign' | 'primary' | 'unique' | 'exclusion' | 'other';

export interface ConstraintModel {
  kind: ConstraintKind;
  /** A CHECK such as (col IS NOT NULL AND col > 0): the columns it proves not null once validated (`notNullColumns`). */
  notNullOf?: string[];
  /** Every column such a CHECK names: dropping any of them drops the constraint. */
  checkColumns?: string[];
  validated: boolean;
  /** Added by a pending migration: the application running before this run does not know its name. */
  addedInPending?: boolean;
  /** Given its name by a pending migration (RENAME CONSTRAINT, or ALTER INDEX … RENAME of its index). */
  renamedInPending?: boolean;
  /** Where it was added NOT VALID, when that was in a pending file. */
  addedNotValid?: { file: string; line: number; transactional: boolean; statement: string };
}

export interface TableModel {
  schema: string;
  name: string;
  /** Created by a pending migration of this run: new and empty. */
  isNew: boolean;
  /** Given its name by a pending migration (RENAME TO, SET SCHEMA, ALTER SCHEMA … RENAME): the application running before this run does not know it by this name. */
  renamedInPending?: boolean;
  columns: Map<string, ColumnModel>;
  primaryKey: string[];
  constraints: Map<string, ConstraintModel>;
  /** Created with PARTITION BY: holds no rows itself, and PostgreSQL refuses CREATE INDEX CONCURRENTLY on it. */
  partitioned?: boolean;
  /** A partitioned table's partition key columns (named, or used by a key expression): PostgreSQL refuses to drop them. */
  partitionKey?: string[];
  /** A partitioned table's partitions, as the migrations made them (PARTITION OF, ATTACH / DETACH PARTITION). */
  partitions?: TableModel[];
  /** A view (CREATE VIEW): followed by name only (no columns), so that a view created in the pending set is known to be new. */
  view?: boolean;
  /** Key columns of the indexes CREATE INDEX made on it, by index name (an index on an expression is not here): what ADD PRIMARY KEY USING INDEX makes NOT NULL. */
  indexColumns?: Map<string, string[]>;
  /**
   * What pending migrations did to NOT NULL constraints: those they validated or dropped, by name, and the columns
   * whose NOT NULL they set or dropped, or that they dropped. A NOT VALID NOT NULL the database has
   * (`LintCatalog.notValidNotNull`) named here no longer stops a primary key. `renamed`: a constraint's name
   * before pending RENAME CONSTRAINTs, by its name now.
   */
  notNullSettled?: { constraints: Set<string>; columns: Set<string>; renamed: Map<string, string> };
  /** Not created by a file lint read: made known when a statement named it. */
  placeholder?: boolean;
  /** Named by a pending file, and not in the database lint read (`lint --database-url`): the statement fails, or IF EXISTS skips it. */
  notInDatabase?: boolean;
  /** Its schema and name in the database, when a pending migration renamed it or moved it (what a catalog of the database calls it). */
  databaseName?: { schema: string; name: string };
  /** Columns a pending migration renamed: the name the database has, by the name now. */
  databaseColumns?: Map<string, string>;
}

export interface DomainModel {
  /** The type it is based on, as `typeNameText` writes it. */
  baseType: string;
  /** Has a CHECK or NOT NULL: ADD COLUMN of it checks (so rewrites) every row. */
  constraints: Set<string>;
  notNull: boolean;
  /** Has a DEFAULT: a column of it added to a table is filled with it. */
  hasDefault?: boolean;
}

/** An ALTER TABLE's table, as the model knew it before the statement. */
export interface AlterTarget {
  rel: RangeVar;
  table: TableModel;
  existing: boolean;
}

/** Called for each ALTER TABLE subcommand before the model applies it. */
export type CommandHook = (target: AlterTarget, cmd: Node) => void;

/** What CREATE/ALTER/DROP FUNCTION need of the model. */
export interface FunctionScope {
  readonly functions: ModelFunction[];
  readonly searchPath: readonly string[];
  creationSchema(): string;
}
