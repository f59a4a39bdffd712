/**
 * The schema the Data API paging tests (and `bench/data-api-pages.ts`) read:
 * KEYED_TABLES tables with long names, each with KEYS_EACH serial keys
 * (sequence-behind reads each: a sequence behind a unique index), KEYS_EACH
 * bigint columns referencing them by foreign keys never validated and
 * without an index (fk-type-mismatch, fk-without-index,
 * constraint-not-validated), KEYS_EACH CHECKs never validated
 * (constraint-not-validated): KEYED_TABLES × KEYS_EACH rows for each of those
 * rules, each rule's rows past one 1 MiB response.
 */

/** Tables, and keys per table. */
export const KEYED_TABLES = 200;
export const KEYS_EACH = 20;

export const KEYED_SCHEMA = keyedSchema(KEYED_TABLES);

/** The schema with `tables` tables of KEYS_EACH keys (a test that pages by a smaller limit needs fewer). */
export function keyedSchema(tables: number): string {
  return `
DO $d$ BEGIN
  FOR t IN 1..${tables} LOOP
    EXECUTE format('CREATE TABLE a_table_with_a_long_name_to_fill_a_data_api_response_%s (%s)', t, (
      SELECT string_agg(format('key_%s serial CONSTRAINT a_unique_key_with_a_long_name_to_fill_a_response_%s_%s UNIQUE, parent_%s bigint', k, t, k, k), ', ')
        FROM generate_series(1, ${KEYS_EACH}) k));
    EXECUTE format('ALTER TABLE a_table_with_a_long_name_to_fill_a_data_api_response_%s %s', t, (
      SELECT string_agg(format('ADD CONSTRAINT a_foreign_key_with_a_long_name_to_fill_a_response_%s_%s FOREIGN KEY (parent_%s)
                                  REFERENCES a_table_with_a_long_name_to_fill_a_data_api_response_%s (key_%s) NOT VALID,
                                ADD CONSTRAINT a_check_with_a_long_name_to_fill_a_data_api_response_%s_%s CHECK (key_%s > 0) NOT VALID', t, k, k, t, k, t, k, k), ', ')
        FROM generate_series(1, ${KEYS_EACH}) k));
  END LOOP;
END $d$;`;
}
