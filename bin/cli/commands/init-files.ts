/**
 * What `schemaguard init` writes: the project file and a GitHub Actions
 * workflow for the project's own paths. Pure text from the settings; init.ts
 * decides what to write where.
 */
import { CONFIG_FILE_NAME } from '../../../lib/config/load';

/** The layout init writes into the project file: paths relative to the project root, with forward slashes. */
export interface InitLayout {
  migrations: string;
  /** A generator's layout (drizzle, prisma), written when init recognised one; else detected at each run. */
  migrationsLayout?: 'drizzle' | 'prisma';
  contracts: string;
  snapshot: string;
  /** The JSON Schema the file names for editors. */
  schema: string;
}

/** The project file: the schema for editors, the folders, and the settings a team most often sets, at their defaults. */
export function configText(layout: InitLayout): string {
  const config = {
    $schema: layout.schema,
    migrations: layout.migrations,
    ...(layout.migrationsLayout ? { migrationsLayout: layout.migrationsLayout } : {}),
    contracts: layout.contracts,
    snapshot: layout.snapshot,
    lockTimeout: '5s',
    lintRules: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** A YAML string (single-quoted: nothing in it is interpreted). */
function yamlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The workflow: on a pull request, lint the files the base branch lacks
 * (lint finds the base itself: GITHUB_BASE_REF), apply every file to the
 * embedded PostgreSQL, check the contracts, upload both reports to code
 * scanning, and fail on an error. `root`: the project root from the
 * repository's root ('' when they are one), where the commands run.
 */
export function workflowText(layout: InitLayout, root: string): string {
  const at = (path: string) => (root ? `${root}/${path}` : path);
  const paths = [`${at(layout.migrations)}/**`, `${at(layout.contracts)}/**`, at(CONFIG_FILE_NAME), '.github/workflows/schemaguard.yml'];
  const workingDirectory = root ? `    defaults:\n      run:\n        working-directory: ${yamlString(root)}\n` : '';
  return `# schemaguard in CI (written by schemaguard init): lint the migrations a pull
# request adds against the base branch's, apply them all to the embedded
# PostgreSQL, check the query contracts, and upload both reports to code
# scanning. The paths come from ${CONFIG_FILE_NAME}.
name: schemaguard

on:
  pull_request:
    paths: [${paths.map(yamlString).join(', ')}]
  push:
    branches: [main]

permissions:
  contents: read
  security-events: write # upload-sarif writes code-scanning results

jobs:
  schema:
    runs-on: ubuntu-latest
    timeout-minutes: 20
${workingDirectory}    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # lint compares with the base branch's files
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - run: npm ci

      - name: Lint the migrations
        id: lint
        continue-on-error: true
        # On a pull request the base branch's files count as applied (their tables exist and hold rows),
        # and lint says so on its first lines; elsewhere, what it could take as applied.
        run: npx schemaguard lint --format sarif > schemaguard-lint.sarif

      - name: Apply the migrations to the embedded PostgreSQL
        run: npx schemaguard migrate

      - name: Check the query contracts
        id: check
        continue-on-error: true
        run: |
          if ! ls ${yamlString(layout.contracts)}/*.sql > /dev/null 2>&1; then
            echo "::notice title=schemaguard::no contracts in ${layout.contracts}/: the contracts check is skipped (schemaguard capture writes them from pg_stat_statements)"
            exit 0
          fi
          npx schemaguard check --format sarif > schemaguard-check.sarif

      - name: Upload the lint report
        if: always() && hashFiles('${at('schemaguard-lint.sarif')}') != ''
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: ${yamlString(at('schemaguard-lint.sarif'))}
          category: schemaguard-lint

      - name: Upload the contracts report
        if: always() && hashFiles('${at('schemaguard-check.sarif')}') != ''
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: ${yamlString(at('schemaguard-check.sarif'))}
          category: schemaguard-check

      - name: Fail on lint errors or failed contracts
        if: steps.lint.outcome == 'failure' || steps.check.outcome == 'failure'
        run: |
          echo "::error title=schemaguard::lint: \${{ steps.lint.outcome }}, contracts: \${{ steps.check.outcome }} (see the code-scanning results)"
          exit 1
`;
}
